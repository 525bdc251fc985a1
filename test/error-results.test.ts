// The rule of lib/errors.ts, checked on the composed API schema: expected refusals are result types
// implementing ErrorResult, inside a union per mutation.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { buildSchema, isInterfaceType, isObjectType, isUnionType, getNamedType, isNonNullType } from "graphql";

const schema = buildSchema(readFileSync(new URL("../sdk/schema.graphql", import.meta.url), "utf8"));
const errorResult = schema.getType("ErrorResult");

describe("expected outcomes are results", () => {
  it("has one ErrorResult interface with a message and a code from ErrorResultCode", () => {
    assert.ok(isInterfaceType(errorResult));
    const fields = errorResult.getFields();
    assert.deepEqual(Object.keys(fields).sort(), ["code", "message"]);
    assert.equal(String(fields.message!.type), "String!");
    assert.equal(String(fields.code!.type), "ErrorResultCode!");
  });

  it("makes every *Error type implement ErrorResult", () => {
    assert.ok(isInterfaceType(errorResult));
    const errorTypes = Object.values(schema.getTypeMap()).filter((type) => isObjectType(type) && type.name.endsWith("Error"));
    assert.deepEqual(errorTypes.map((type) => type.name).sort(), [
      "CartLimitError",
      "CategoryNotEmptyError",
      "CheckoutStockError",
      "EmailTakenError",
      "EmptyCartError",
      "InsufficientStockError",
      "InvalidCredentialsError",
      "InvalidStatusTransitionError",
      "LastAdminError",
      "ProductPublishedError",
      "ProductUnavailableError",
    ]);
    for (const type of errorTypes) {
      assert.ok(isObjectType(type) && type.getInterfaces().includes(errorResult), `${type.name} implements ErrorResult`);
    }
  });

  it("returns a non-null union of a success type and error results from every mutation that has refusals", () => {
    const mutations = schema.getMutationType()!.getFields();
    const expected = {
      register: ["AuthPayload", "EmailTakenError"],
      login: ["AuthPayload", "InvalidCredentialsError"],
      updateProfile: ["User", "InvalidCredentialsError"],
      setUserRole: ["User", "LastAdminError"],
      deleteAccount: ["UserDeleted", "InvalidCredentialsError", "LastAdminError"],
      deleteUser: ["UserDeleted", "LastAdminError"],
      addToCart: ["Cart", "ProductUnavailableError", "CartLimitError"],
      updateCartItem: ["Cart", "ProductUnavailableError", "CartLimitError"],
      deleteProduct: ["ProductDeleted", "ProductPublishedError"],
      deleteCategory: ["CategoryDeleted", "CategoryNotEmptyError"],
      adjustStock: ["Inventory", "InsufficientStockError"],
      setStock: ["Inventory", "InsufficientStockError"],
      updateOrderStatus: ["Order", "InvalidStatusTransitionError"],
      checkout: ["CheckoutSuccess", "CheckoutStockError", "EmptyCartError"],
      cancelOrder: ["Order", "InvalidStatusTransitionError"],
    };
    for (const [name, members] of Object.entries(expected)) {
      const field = mutations[name];
      assert.ok(field && isNonNullType(field.type), `${name} is non-null`);
      const union = getNamedType(field.type);
      assert.ok(isUnionType(union), `${name} returns a union`);
      assert.deepEqual(
        union.getTypes().map((type) => type.name),
        members,
        name,
      );
    }
  });
});
