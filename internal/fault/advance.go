package fault

// API names of the e-commerce advance return (垫付回补), kept apart from the older names
// so that adding them leaves that block's alignment alone.
const (
	APIReturnAdvance      = "ecommerce.return-advance"       // POST /v3/ecommerce/refunds/{refund_id}/return-advance
	APIReturnAdvanceQuery = "ecommerce.return-advance.query" // GET /v3/ecommerce/refunds/{refund_id}/return-advance
)
