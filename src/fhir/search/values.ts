// Moved to src/kernel/search/values.ts (the layer below the store); callers above the store may keep importing this path.
export * from '../../kernel/search/values';
