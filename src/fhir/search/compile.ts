// Moved to src/store/search-compile.ts (the layer below the store); callers above the store may keep importing this path.
export * from '../../store/search-compile';
