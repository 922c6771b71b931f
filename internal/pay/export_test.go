package pay

import "time"

// SetMerchantClock makes svc's merchant cache age its entries by now, for tests.
func SetMerchantClock(svc *Service, now func() time.Time) { svc.Merchants.merchants.now = now }
