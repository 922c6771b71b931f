package notify

// PlaintextV3 lets the golden tests render a resource without a delivery.
var PlaintextV3 = plaintextV3
