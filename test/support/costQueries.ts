// Operations shared by the cost tests.

/** 30 aliases of products(first:100), each product's category's parent listing 100 more with stock and images (issue 6). */
export const ATTACK_QUERY =
  "fragment Deep on Product { category { parent { products(first: 100) { edges { node { id name inventory { available } images { url } } } } } } }\n{ " +
  Array.from({ length: 30 }, (_, i) => `p${i}: products(first: 100) { edges { node { ...Deep } } }`).join(" ") +
  " }";
