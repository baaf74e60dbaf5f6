"""Technology brokers (技术经纪人): registry, training, engagements and rewards."""
