// Moved to src/kernel/request-state.ts (the layer below the store); callers above the store may keep importing this path.
export * from '../kernel/request-state';
