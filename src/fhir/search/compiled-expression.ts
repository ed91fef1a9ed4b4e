// Moved to src/kernel/search/compiled-expression.ts (the layer below the store); callers above the store may keep importing this path.
export * from '../../kernel/search/compiled-expression';
