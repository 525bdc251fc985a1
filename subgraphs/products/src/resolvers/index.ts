import { GraphQLUpload } from "graphql-upload-minimal";
import { DateTime } from "../../../../lib/scalars.js";
import type { Resolvers } from "../__generated__/resolvers-types.js";
import { Category } from "./Category.js";
import { Mutation } from "./Mutation.js";
import { Product } from "./Product.js";
import { ProductImage } from "./ProductImage.js";
import { Query } from "./Query.js";
import { results } from "./results.js";

export const resolvers: Resolvers = { DateTime, Upload: GraphQLUpload, Query, Mutation, Product, Category, ProductImage, ...results };
