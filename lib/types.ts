// Shapes that several subgraphs share.

/** An entity another subgraph owns, as this one knows it: its key only (`@key(fields: "id")`). */
export interface EntityReference {
  id: string;
}

/** `type Money @shareable`: an amount in minor units (cents) and its ISO 4217 currency. */
export interface Money {
  amount: number;
  currency: string;
}
