// Moved to src/kernel/conformance-files.ts (the layer below the store); callers above the store may keep importing this path.
export * from './kernel/conformance-files';
