import { DateTime } from "../../../../lib/scalars.js";
import type { Resolvers } from "../__generated__/resolvers-types.js";
import { Cart } from "./Cart.js";
import { CartItem } from "./CartItem.js";
import { Mutation } from "./Mutation.js";
import { Query } from "./Query.js";
import { results } from "./results.js";

export const resolvers: Resolvers = { DateTime, Query, Mutation, Cart, CartItem, ...results };
