/** The demo deployment and alerting rule of `npm run demo:cloud`. */

export const DEMO_MAIN_TF = `# Demo deployment on the local cloud (npm run demo:cloud): real google resource types, served
# offline by the project's local provider from data/cloud-demo/install/.
terraform {
  required_providers {
    google = { source = "hashicorp/google" }
  }
}

provider "google" {
  project = "demo-project"
  region  = "europe-west1"
}

resource "google_container_cluster" "demo" {
  name                     = "demo"
  location                 = "europe-west1"
  initial_node_count       = 1
  remove_default_node_pool = true
  deletion_protection      = false
}

resource "google_container_node_pool" "web" {
  name       = "web"
  cluster    = google_container_cluster.demo.name
  location   = "europe-west1"
  node_count = 2

  node_config {
    machine_type = "e2-standard-4"
  }
}
`;

export const DEMO_RULES = `groups:
  - name: localcloud
    rules:
      - alert: NodePoolCPUHigh
        expr: localcloud_node_pool_cpu_utilization > 0.8
        for: 0s
        labels:
          severity: warning
        annotations:
          summary: 'node pool {{ $labels.pool }} of {{ $labels.cluster }} at {{ $value | humanizePercentage }} CPU'
`;
