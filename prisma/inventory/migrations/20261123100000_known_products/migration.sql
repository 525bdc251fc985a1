-- Products confirmed by the products subgraph: stock changes are refused for any other id.
CREATE TABLE "KnownProduct" (
    "productId" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "KnownProduct_pkey" PRIMARY KEY ("productId"),
    CONSTRAINT "KnownProduct_status_check" CHECK ("status" IN ('DRAFT', 'ACTIVE', 'ARCHIVED', 'DELETED'))
);
