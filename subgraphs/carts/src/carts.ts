// Shopping carts: the rules, callable without HTTP.
import { z } from "zod";
import { assertOwnerOrAdmin } from "../../../lib/access.js";
import { requireViewer } from "../../../lib/auth.js";
import type { ErrorResult } from "../../../lib/errors.js";
import { productStatuses } from "../../../lib/productStatus.js";
import { parseInput, uuid } from "../../../lib/validation.js";
import type { Cart, CartItem, Prisma } from "../../../prisma/carts/__generated__/client.js";
import type { CartsContext } from "./context.js";

export type { Cart, CartItem };

/** The most units of one product a cart may hold. */
export const MAX_QUANTITY_PER_PRODUCT = 99;

/** The expected refusals of cart changes (see lib/errors.ts); nothing was changed. */
export interface ProductUnavailable extends ErrorResult<"ProductUnavailableError", "PRODUCT_UNAVAILABLE"> {
  productId: string;
}
export interface CartLimitExceeded extends ErrorResult<"CartLimitError", "CART_LIMIT"> {
  limit: "UNITS_PER_PRODUCT" | "LINES";
  max: number;
  inCart: number | null;
}
export type CartRefusal = ProductUnavailable | CartLimitExceeded;

/** Carries a refusal out of the transaction, rolling the change back. */
class RolledBack extends Error {
  constructor(readonly refusal: CartRefusal) {
    super(refusal.message);
  }
}

const productIdSchema = uuid("must be a product id");
const addSchema = z.object({
  productId: productIdSchema,
  quantity: z
    .int("must be a whole number")
    .min(1, `must be between 1 and ${MAX_QUANTITY_PER_PRODUCT}`)
    .max(MAX_QUANTITY_PER_PRODUCT, `must be between 1 and ${MAX_QUANTITY_PER_PRODUCT}`),
});
const setSchema = z.object({
  productId: productIdSchema,
  quantity: z
    .int("must be a whole number")
    .min(0, `must be between 0 and ${MAX_QUANTITY_PER_PRODUCT}`)
    .max(MAX_QUANTITY_PER_PRODUCT, `must be between 0 and ${MAX_QUANTITY_PER_PRODUCT}`),
});

export async function myCart(ctx: CartsContext): Promise<Cart | null> {
  if (!ctx.viewer) return null;
  return ctx.prisma.cart.findUnique({ where: { customerId: ctx.viewer.userId } });
}

/** For the router's entity fetches: unknown ids resolve to null, other people's carts are FORBIDDEN. */
export async function resolveReference(ctx: CartsContext, id: string): Promise<Cart | null> {
  const cart = await ctx.loaders.cartById.load(id);
  if (cart) assertOwnerOrAdmin(ctx.viewer, cart.customerId, "cart");
  return cart;
}

export function items(ctx: CartsContext, cart: Cart): Promise<CartItem[]> {
  return ctx.loaders.itemsByCartId.load(cart.id);
}

export async function totalQuantity(ctx: CartsContext, cart: Cart): Promise<number> {
  return (await items(ctx, cart)).reduce((sum, item) => sum + item.quantity, 0);
}

/**
 * Runs `change` in a transaction on the viewer's cart, created if missing. Touching `updatedAt`
 * first locks the cart row, so concurrent changes to one cart run one after the other.
 */
async function changeCart<Refusal extends CartRefusal = never>(
  ctx: CartsContext,
  change: (tx: Prisma.TransactionClient, cart: Cart) => Promise<Refusal | undefined>,
): Promise<Cart | Refusal> {
  const viewer = requireViewer(ctx.viewer);
  let cart: Cart;
  try {
    cart = await ctx.prisma.$transaction(async (tx) => {
      const locked = await tx.cart.upsert({
        where: { customerId: viewer.userId },
        create: { customerId: viewer.userId },
        update: { updatedAt: new Date() },
      });
      const refusal = await change(tx, locked);
      if (refusal) throw new RolledBack(refusal);
      return locked;
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.refusal as Refusal;
    throw error;
  }
  // An earlier mutation in the same operation may have loaded the old items.
  ctx.loaders.itemsByCartId.clear(cart.id);
  return cart;
}

/**
 * Only products on sale (ACTIVE) go into a cart, or get more units there: asked of the products
 * subgraph with the customer's own rights. Unknown, DRAFT and ARCHIVED get the same answer, so the
 * cart reveals nothing about products a customer cannot see.
 */
async function checkOnSale(ctx: CartsContext, productId: string): Promise<ProductUnavailable | undefined> {
  const statuses = await productStatuses(ctx.services, [productId], { requestId: ctx.requestId, authorization: ctx.authorization });
  if (statuses.get(productId) === "ACTIVE") return undefined;
  return { __typename: "ProductUnavailableError", code: "PRODUCT_UNAVAILABLE", message: "No product on sale has this id.", productId };
}

/** The `@listSize(assumedSize:)` of Cart.items: the router's cost estimate relies on it. */
export const MAX_CART_LINES = 100;

/** Inside changeCart (the cart row is locked): refuses a change that leaves more than MAX_CART_LINES products. */
async function checkLineCount(tx: Prisma.TransactionClient, cart: Cart): Promise<CartLimitExceeded | undefined> {
  if ((await tx.cartItem.count({ where: { cartId: cart.id } })) <= MAX_CART_LINES) return undefined;
  return {
    __typename: "CartLimitError",
    code: "CART_LIMIT",
    message: `A cart holds at most ${MAX_CART_LINES} different products.`,
    limit: "LINES",
    max: MAX_CART_LINES,
    inCart: null,
  };
}

export async function addToCart(ctx: CartsContext, input: { productId: string; quantity: number }): Promise<Cart | CartRefusal> {
  requireViewer(ctx.viewer);
  const { productId, quantity } = parseInput(addSchema, input, "");
  const unavailable = await checkOnSale(ctx, productId);
  if (unavailable) return unavailable;
  return changeCart(ctx, async (tx, cart) => {
    const item = await tx.cartItem.upsert({
      where: { cartId_productId: { cartId: cart.id, productId } },
      create: { cartId: cart.id, productId, quantity },
      update: { quantity: { increment: quantity } },
    });
    const tooManyLines = await checkLineCount(tx, cart);
    if (tooManyLines) return tooManyLines;
    if (item.quantity <= MAX_QUANTITY_PER_PRODUCT) return undefined;
    const inCart = item.quantity - quantity;
    return {
      __typename: "CartLimitError",
      code: "CART_LIMIT",
      message: `A cart holds at most ${MAX_QUANTITY_PER_PRODUCT} units of one product; it already has ${inCart}.`,
      limit: "UNITS_PER_PRODUCT",
      max: MAX_QUANTITY_PER_PRODUCT,
      inCart,
    };
  });
}

export async function updateCartItem(ctx: CartsContext, input: { productId: string; quantity: number }): Promise<Cart | CartRefusal> {
  const viewer = requireViewer(ctx.viewer);
  const { productId, quantity } = parseInput(setSchema, input, "");
  // Fewer units of a product that is no longer on sale are fine (so is removing it); more are not.
  const current = await ctx.prisma.cartItem.findFirst({
    where: { productId, cart: { customerId: viewer.userId } },
    select: { quantity: true },
  });
  if (quantity > (current?.quantity ?? 0)) {
    const unavailable = await checkOnSale(ctx, productId);
    if (unavailable) return unavailable;
  }
  return changeCart(ctx, async (tx, cart) => {
    if (quantity === 0) {
      await tx.cartItem.deleteMany({ where: { cartId: cart.id, productId } });
      return undefined;
    }
    await tx.cartItem.upsert({
      where: { cartId_productId: { cartId: cart.id, productId } },
      create: { cartId: cart.id, productId, quantity },
      update: { quantity },
    });
    return checkLineCount(tx, cart);
  });
}

export async function clearCart(ctx: CartsContext): Promise<Cart> {
  return changeCart<never>(ctx, async (tx, cart) => {
    await tx.cartItem.deleteMany({ where: { cartId: cart.id } });
    return undefined;
  });
}
