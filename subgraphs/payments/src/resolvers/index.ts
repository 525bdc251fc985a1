import { DateTime } from "../../../../lib/scalars.js";
import type { Resolvers } from "../__generated__/resolvers-types.js";
import { Order } from "./Order.js";
import { Payment } from "./Payment.js";
import { Query } from "./Query.js";

export const resolvers: Resolvers = { DateTime, Query, Payment, Order };
