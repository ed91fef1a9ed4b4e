import type { Statements } from '../store/db';
import { planEachTime, sql } from '../store/sql';
import { GENESIS_HASH } from './audit-codes';

export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * The writer's memory of where each chain ends, so that a batch of read events can be chained and stored in
 * one statement without first reading (and locking) the heads. It is only a guess: the statement checks it
 * (`audit_expect_heads`), and a wrong guess is forgotten and reloaded. Bounded: the oldest chains go first.
 */
export class ChainHeads {
  private readonly heads = new Map<string, ChainHead>();

  constructor(private readonly maxChains = 100_000) {}

  get(chain: string): ChainHead | undefined {
    return this.heads.get(chain);
  }

  set(chain: string, head: ChainHead): void {
    this.heads.delete(chain);
    if (this.heads.size >= this.maxChains) this.heads.delete(this.heads.keys().next().value as string);
    this.heads.set(chain, head);
  }

  forget(chains: Iterable<string>): void {
    for (const chain of chains) this.heads.delete(chain);
  }

  /** Loads the heads of `chains` this writer does not know (without locking them; a chain not started is at genesis). */
  async load(db: Statements, chains: string[]): Promise<void> {
    const missing = chains.filter((c) => !this.heads.has(c));
    if (missing.length === 0) return;
    const { rows } = await db.query<{ chain: string; seq: number; hash: string }>(
      // Planned at each call: the table starts empty and grows by one row per record (see `planEachTime`).
      planEachTime(sql`SELECT chain, seq, hash FROM audit_chain_head WHERE chain = ANY(${missing}::text[])`),
    );
    const found = new Map(rows.map((r) => [r.chain, { seq: Number(r.seq), hash: r.hash }]));
    for (const chain of missing) this.set(chain, found.get(chain) ?? { seq: 0, hash: GENESIS_HASH });
  }
}
