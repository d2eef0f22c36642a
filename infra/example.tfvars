# Copy to terraform.tfvars (ignored by git) and adjust; worker_image comes from build-worker-image.sh.
project_id = "my-project"
region     = "europe-west1"

# firestore_location = "eur3"
# upload_retention_days = 30
# task_retention_days   = 30

worker_memory = "4Gi"
worker_cpu    = "2"
worker_max_instances = {
  high   = 20
  normal = 10
  low    = 4
}

# Pages on these origins may upload straight to the bucket with signed URLs (CORS on uploads).
# upload_cors_origins = ["https://docs.example.com"]

# delete_upload_on_success = true
# public_http              = false
