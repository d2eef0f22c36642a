# Copy to terraform.tfvars (ignored by git) and adjust; worker_image comes from build-worker-image.sh.
# What the pipeline must keep too (repository, CORS origins, alert channels, sizes) belongs in a
# committed deploy.auto.tfvars.json instead: infra/README.md, "The pipeline's variables".
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

# The OAuth client ids of the apps your users sign in with (comma-separated): their Google ID
# tokens are accepted. Each function's own URLs are always accepted audiences (the upload_url and
# api_url outputs, and its run.app URL: gcloud auth print-identity-token --audiences=URL for a
# service account); any other Google ID token is refused.
# auth_audience = "1234567890-abc.apps.googleusercontent.com"

# Pages on these origins may upload straight to the bucket with signed URLs (CORS on uploads).
# upload_cors_origins = ["https://docs.example.com"]

# Where the dead-letter alert goes (gcloud beta monitoring channels list).
# alert_notification_channels = ["projects/my-project/notificationChannels/1234567890"]

# The repository whose pushes to main run cloudbuild.yaml (creates the trigger and its account).
# github_owner = "my-org"
# github_repo  = "docvault-ocr"

# delete_upload_on_success = true
# shard_pages = 20 # larger PDFs are read in parts of this many pages by several instances at once; 0: never
# public_http              = false
