import { DateTime } from "../../../../lib/scalars.js";
import type { Resolvers } from "../__generated__/resolvers-types.js";
import { Mutation } from "./Mutation.js";
import { Query } from "./Query.js";
import { results } from "./results.js";
import { User } from "./User.js";

export const resolvers: Resolvers = { DateTime, Query, Mutation, User, ...results };
