/**
 * The few Reflect metadata functions that @peculiar/x509's dependency tsyringe requires to load ("tsyringe requires a
 * reflect polyfill", @peculiar/x509 README). In-tree rather than the reflect-metadata package: four small functions,
 * and worktrees that merge the wire server need no new install.
 */
type MetadataTarget = object;
type MetadataStore = Map<unknown, unknown>;

const stores = new WeakMap<MetadataTarget, Map<string | symbol | undefined, MetadataStore>>();

function ownStore(target: MetadataTarget, property: string | symbol | undefined, create: boolean) {
  let byProperty = stores.get(target);
  if (byProperty === undefined && create) {
    byProperty = new Map();
    stores.set(target, byProperty);
  }
  let store = byProperty?.get(property);
  if (store === undefined && create && byProperty !== undefined) {
    store = new Map();
    byProperty.set(property, store);
  }
  return store;
}

function getOwnMetadata(key: unknown, target: MetadataTarget, property?: string | symbol): unknown {
  return ownStore(target, property, false)?.get(key);
}

function getMetadata(key: unknown, target: MetadataTarget, property?: string | symbol): unknown {
  for (let current: MetadataTarget | null = target; current !== null; current = Object.getPrototypeOf(current)) {
    const store = ownStore(current, property, false);
    if (store?.has(key)) return store.get(key);
  }
  return undefined;
}

function defineMetadata(key: unknown, value: unknown, target: MetadataTarget, property?: string | symbol): void {
  ownStore(target, property, true)?.set(key, value);
}

function metadata(key: unknown, value: unknown) {
  return (target: MetadataTarget, property?: string | symbol) => defineMetadata(key, value, target, property);
}

/** Installs the functions on `Reflect` unless a polyfill already did. */
export function installReflectMetadata(): void {
  const reflect = Reflect as unknown as Record<string, unknown>;
  if (typeof reflect.getMetadata === 'function') return;
  Object.assign(reflect, { getOwnMetadata, getMetadata, defineMetadata, metadata });
}
