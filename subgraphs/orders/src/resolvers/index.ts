import { DateTime } from "../../../../lib/scalars.js";
import type { Resolvers } from "../__generated__/resolvers-types.js";
import { Mutation } from "./Mutation.js";
import { Order } from "./Order.js";
import { OrderItem } from "./OrderItem.js";
import { OrderStatusChange } from "./OrderStatusChange.js";
import { Query } from "./Query.js";
import { CancelOrderResult, CheckoutResult } from "./results.js";
import { UpdateOrderStatusResult } from "./UpdateOrderStatusResult.js";
import { User } from "./User.js";

export const resolvers: Resolvers = {
  DateTime,
  Query,
  Mutation,
  Order,
  OrderItem,
  OrderStatusChange,
  UpdateOrderStatusResult,
  CheckoutResult,
  CancelOrderResult,
  User,
};
