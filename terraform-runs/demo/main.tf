# InfraAI demo deployment: works offline, because it only uses Terraform's built-in
# `terraform_data` resource (no provider download). The shapes mirror real cloud resources so
# the same InfraAI code paths handle both:
#   - a node pool whose size is a `count`   (like google_container_node_pool.node_count)
#   - a VM whose settings live in an object (like google_compute_instance attributes)
#   - a value taken from a variable set in terraform.tfvars
# The `.infraai-bootstrap` file next to this one asks InfraAI to apply this deployment once at
# start when it has no state yet, so a fresh clone serves real resources straight away.

# Node pool: scale it by changing `count`. Every instance carries the pool name, which is the
# value alerts use (label `pool="web-pool"`) to find this block.
resource "terraform_data" "pool" {
  count = 2
  input = {
    pool         = "web-pool"
    machine_type = "e2-small"
    zone         = "europe-west1-b"
  }
}

# VM: its settings live in the `input` object, the way a real VM resource has attributes.
# Alerts find it by `name` (label `instance="vm-1"`) or by its `labels`.
resource "terraform_data" "vm" {
  input = {
    name         = "vm-1"
    machine_type = "e2-small"
    node_count   = 2
    labels       = { team = "sre" }
  }
}

# Web service: the replica count comes from var.web_replicas, set in terraform.tfvars, so a
# change edits the tfvars file rather than this resource.
resource "terraform_data" "web" {
  input = {
    name     = "web"
    replicas = var.web_replicas
  }
}
