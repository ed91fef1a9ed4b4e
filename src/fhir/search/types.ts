// Moved to src/kernel/search/types.ts (the layer below the store); callers above the store may keep importing this path.
export * from '../../kernel/search/types';
