web_replicas = 2
