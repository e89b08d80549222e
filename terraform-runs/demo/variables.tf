variable "web_replicas" {
  description = "Number of web replicas; set in terraform.tfvars."
  type        = number
  default     = 1
}
