import { DateTime } from "../../../../lib/scalars.js";
import type { Resolvers } from "../__generated__/resolvers-types.js";
import { Mutation } from "./Mutation.js";
import { Order } from "./Order.js";
import { Payment } from "./Payment.js";
import { Query } from "./Query.js";
import { Refund } from "./Refund.js";

export const resolvers: Resolvers = { DateTime, Query, Mutation, Payment, Refund, Order };
