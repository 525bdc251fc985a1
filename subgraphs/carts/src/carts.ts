// Shopping carts: the rules, callable without HTTP.
import { z } from "zod";
import { assertOwnerOrAdmin, assertServiceCaller } from "../../../lib/access.js";
import { requireViewer } from "../../../lib/auth.js";
import type { ErrorResult } from "../../../lib/errors.js";
import type DataLoader from "dataloader";
import { type ProductOffer } from "../../../lib/productStatus.js";
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
  // An earlier mutation in the same operation may have loaded (and priced) the old items.
  ctx.loaders.itemsByCartId.clear(cart.id);
  pricedCarts.get(ctx.loaders)?.delete(cart.id);
  return cart;
}

/**
 * Only products on sale (ACTIVE) go into a cart, or get more units there: asked of the products
 * subgraph with the customer's own rights. Unknown, DRAFT and ARCHIVED get the same answer, so the
 * cart reveals nothing about products a customer cannot see.
 */
async function onSale(ctx: CartsContext, productId: string): Promise<ProductOffer | ProductUnavailable> {
  const offer = await ctx.loaders.productOffer.load(productId);
  if (offer?.status === "ACTIVE") return offer;
  return { __typename: "ProductUnavailableError", code: "PRODUCT_UNAVAILABLE", message: "No product on sale has this id.", productId };
}

const isRefusal = (value: ProductOffer | ProductUnavailable): value is ProductUnavailable => "__typename" in value;

/** The columns recording the price a customer last added units at (see CartItem.addedUnitPrice). */
const addedPrice = (offer: ProductOffer) => ({ addedUnitAmount: offer.price.amount, addedCurrency: offer.price.currency });

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
  const offer = await onSale(ctx, productId);
  if (isRefusal(offer)) return offer;
  return changeCart(ctx, async (tx, cart) => {
    const item = await tx.cartItem.upsert({
      where: { cartId_productId: { cartId: cart.id, productId } },
      create: { cartId: cart.id, productId, quantity, ...addedPrice(offer) },
      update: { quantity: { increment: quantity }, ...addedPrice(offer) },
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
  // Raising the quantity records the live price the customer now agreed to; lowering it keeps the old one.
  let offer: ProductOffer | undefined;
  if (quantity > (current?.quantity ?? 0)) {
    const onSaleOffer = await onSale(ctx, productId);
    if (isRefusal(onSaleOffer)) return onSaleOffer;
    offer = onSaleOffer;
  }
  const price = offer ? addedPrice(offer) : {};
  return changeCart(ctx, async (tx, cart) => {
    if (quantity === 0) {
      await tx.cartItem.deleteMany({ where: { cartId: cart.id, productId } });
      return undefined;
    }
    await tx.cartItem.upsert({
      where: { cartId_productId: { cartId: cart.id, productId } },
      create: { cartId: cart.id, productId, quantity, ...price },
      update: { quantity, ...price },
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

const removeSchema = z.object({ productId: productIdSchema });

/**
 * Removes a product from the viewer's cart (only ever the viewer's own). A product not in the cart leaves
 * the cart as it is, `updatedAt` included; a customer without a cart gets a new, empty one.
 */
export async function removeFromCart(ctx: CartsContext, input: { productId: string }): Promise<Cart> {
  const viewer = requireViewer(ctx.viewer);
  const { productId } = parseInput(removeSchema, input, "");
  const removed = await ctx.prisma.cartItem.deleteMany({ where: { productId, cart: { customerId: viewer.userId } } });
  if (removed.count === 0) {
    const unchanged = await ctx.prisma.cart.findUnique({ where: { customerId: viewer.userId } });
    if (unchanged) return unchanged;
  }
  // Bumps `updatedAt` after a removal (and creates the cart of a customer who had none).
  return changeCart<never>(ctx, async () => undefined);
}

const orderedItemsSchema = z
  .array(
    z.object({
      productId: productIdSchema,
      quantity: z.int("must be a whole number").min(1, "must be at least 1"),
    }),
  )
  .max(MAX_CART_LINES * 5, `must hold at most ${MAX_CART_LINES * 5} items`);

/**
 * After checkout (the orders subgraph only, acting for the customer whose Authorization it forwards):
 * takes what the order bought out of the customer's cart, in one transaction under the cart lock.
 * Lines reaching zero go; units added meanwhile stay. Calling it twice would take units twice, so
 * orders calls it once per order, after the order exists.
 */
export async function removeOrderedItems(ctx: CartsContext, input: { items: { productId: string; quantity: number }[] }): Promise<Cart> {
  assertServiceCaller(ctx.caller, ["orders"], "removeOrderedItems");
  const items = parseInput(orderedItemsSchema, input.items, "items");
  const ordered = new Map<string, number>();
  for (const { productId, quantity } of items) ordered.set(productId, (ordered.get(productId) ?? 0) + quantity);
  return changeCart<never>(ctx, async (tx, cart) => {
    const lines = await tx.cartItem.findMany({ where: { cartId: cart.id, productId: { in: [...ordered.keys()] } } });
    for (const line of lines) {
      const left = line.quantity - (ordered.get(line.productId) ?? 0);
      if (left > 0) await tx.cartItem.update({ where: { id: line.id }, data: { quantity: left } });
      else await tx.cartItem.delete({ where: { id: line.id } });
    }
    return undefined;
  });
}

// Live pricing: each line's price from products and stock from inventory, one batched call each per
// request (the loaders), whatever the number of lines.

export interface Money {
  amount: number;
  currency: string;
}
export type CartLineAvailability = "AVAILABLE" | "NOT_ON_SALE" | "INSUFFICIENT_STOCK" | "OTHER_CURRENCY";

export interface PricedLine {
  unitPrice: Money;
  lineTotal: Money;
  addedUnitPrice: Money | null;
  priceChanged: boolean;
  availability: CartLineAvailability;
  available: number;
}
export interface PricedCart {
  lines: Map<string, PricedLine>;
  subtotal: Money;
  readyForCheckout: boolean;
}

/** The currency of a cart with no line on sale: the catalog's default (products' CreateProductInput.currency). */
export const DEFAULT_CURRENCY = "EUR";

/** Each request prices a cart once, however many of its fields and lines are selected. */
const pricedCarts = new WeakMap<CartsContext["loaders"], Map<string, Promise<PricedCart>>>();

async function loadAll<K, V>(loader: DataLoader<K, V>, keys: K[]): Promise<V[]> {
  const values = await loader.loadMany(keys);
  return values.map((value) => {
    if (value instanceof Error) throw value;
    return value;
  });
}

export function pricedCart(ctx: CartsContext, cartId: string): Promise<PricedCart> {
  let carts = pricedCarts.get(ctx.loaders);
  if (!carts) pricedCarts.set(ctx.loaders, (carts = new Map<string, Promise<PricedCart>>()));
  let priced = carts.get(cartId);
  if (!priced) carts.set(cartId, (priced = priceCart(ctx, cartId)));
  return priced;
}

async function priceCart(ctx: CartsContext, cartId: string): Promise<PricedCart> {
  const lines = await ctx.loaders.itemsByCartId.load(cartId);
  const productIds = lines.map((line) => line.productId);
  const [offers, units] = await Promise.all([
    loadAll(ctx.loaders.productOffer, productIds),
    loadAll(ctx.loaders.availableUnits, productIds),
  ]);
  const currency = offers.find((offer) => offer?.status === "ACTIVE")?.price.currency ?? DEFAULT_CURRENCY;
  const priced = new Map<string, PricedLine>();
  let subtotal = 0;
  lines.forEach((line, index) => {
    const offer = offers[index] ?? null;
    const available = units[index] ?? 0;
    const addedUnitPrice =
      line.addedUnitAmount != null && line.addedCurrency != null ? { amount: line.addedUnitAmount, currency: line.addedCurrency } : null;
    // A product products no longer knows keeps the price it was added at, so the cart still shows.
    const unitPrice = offer?.price ?? addedUnitPrice ?? { amount: 0, currency };
    const availability: CartLineAvailability =
      offer?.status !== "ACTIVE"
        ? "NOT_ON_SALE"
        : unitPrice.currency !== currency
          ? "OTHER_CURRENCY"
          : available < line.quantity
            ? "INSUFFICIENT_STOCK"
            : "AVAILABLE";
    const lineTotal = { amount: unitPrice.amount * line.quantity, currency: unitPrice.currency };
    if (availability === "AVAILABLE" || availability === "INSUFFICIENT_STOCK") subtotal += lineTotal.amount;
    priced.set(line.id, {
      unitPrice,
      lineTotal,
      addedUnitPrice,
      priceChanged:
        addedUnitPrice != null && (addedUnitPrice.amount !== unitPrice.amount || addedUnitPrice.currency !== unitPrice.currency),
      availability,
      available,
    });
  });
  return {
    lines: priced,
    subtotal: { amount: subtotal, currency },
    readyForCheckout: lines.length > 0 && [...priced.values()].every((line) => line.availability === "AVAILABLE"),
  };
}

/** The pricing of one cart line (its cart is priced once per request). */
export async function pricedLine(ctx: CartsContext, item: CartItem): Promise<PricedLine> {
  const line = (await pricedCart(ctx, item.cartId)).lines.get(item.id);
  if (!line) throw new Error(`item ${item.id} is not in its cart any more`);
  return line;
}
