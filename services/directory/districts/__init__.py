"""地区・学区の台帳 (district gazetteer): a municipality's districts, which town lies in which, and the
check that resources' areas name them."""
