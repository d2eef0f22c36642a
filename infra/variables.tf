variable "project_id" {
  description = "The Google Cloud project to deploy into."
  type        = string
}

variable "region" {
  description = "Region of the functions, buckets, Firestore database and scheduler jobs."
  type        = string
  default     = "europe-west1"
}

variable "firestore_location" {
  description = "Firestore location (a region such as europe-west1, or a multi-region such as eur3). Cannot change after creation."
  type        = string
  default     = "europe-west1"
}

# ── Buckets ────────────────────────────────────────────────────────────────────────────────────
variable "uploads_bucket_name" {
  description = "Name of the uploads bucket; empty: <project>-docvault-uploads."
  type        = string
  default     = ""
}

variable "results_bucket_name" {
  description = "Name of the results bucket; empty: <project>-docvault-results."
  type        = string
  default     = ""
}

variable "models_bucket_name" {
  description = "Name of the models bucket (traineddata, synced with `npx docvault models sync`); empty: <project>-docvault-models."
  type        = string
  default     = ""
}

variable "upload_retention_days" {
  description = "Days an uploaded document is kept before the bucket deletes it."
  type        = number
  default     = 30
}

variable "task_retention_days" {
  description = "Days a finished task and its results are kept (TASK_RETENTION_DAYS; the results bucket deletes after the same)."
  type        = number
  default     = 30
}

variable "incomplete_upload_days" {
  description = "Days after which an unfinished multipart or resumable upload is aborted."
  type        = number
  default     = 1
}

variable "upload_cors_origins" {
  description = "Origins (https://app.example.com) whose pages may upload straight to the uploads bucket with the upload function's signed URLs; empty: no CORS configuration on the bucket."
  type        = list(string)
  default     = []
}

variable "force_destroy_buckets" {
  description = "Let `terraform destroy` delete non-empty buckets (for test projects only)."
  type        = bool
  default     = false
}

# ── Functions ──────────────────────────────────────────────────────────────────────────────────
variable "source_dir" {
  description = "Folder holding the deployable source (prepared by infra/package-source.sh from `npm run build`)."
  type        = string
  default     = "build/source"
}

variable "nodejs_runtime" {
  description = "Cloud Run functions runtime of upload, api and dispatch."
  type        = string
  default     = "nodejs22"
}

variable "worker_image" {
  description = "Container image of the OCR workers: the same source folder built with Google Cloud's buildpacks (infra/build-worker-image.sh prints it)."
  type        = string
}

variable "http_memory" {
  description = "Memory of upload and api."
  type        = string
  default     = "1Gi"
}

variable "http_max_instances" {
  description = "Max instances of upload and api each."
  type        = number
  default     = 20
}

# Per-user request limits of upload and api (shared/core/rate-limit.ts): a token bucket per user
# hash, refilled at <limit> requests per window, holding at most <burst>. Each instance counts on
# its own (in memory): a user whose requests land on N instances may get up to N times the limit,
# so a limit here is per instance, and http_max_instances bounds the total. Over it: 429
# RATE_LIMITED with Retry-After. A refused request counts too (it spends what has refilled): a
# client that waits Retry-After gets the burst and the rate; one that floods without waiting is
# refused until it slows below the rate. A limit of 0 turns it off.
variable "rate_limit_window_seconds" {
  description = "RATE_LIMIT_WINDOW_SECONDS: the window the upload and api limits are counted over."
  type        = number
  default     = 60
}

variable "upload_rate_limit" {
  description = "UPLOAD_RATE_LIMIT: requests to upload per user per window, per instance, sustained (0: no limit)."
  type        = number
  default     = 300
}

variable "upload_rate_burst" {
  description = "UPLOAD_RATE_BURST: requests to upload a user may make at once after being idle, per instance."
  type        = number
  default     = 30
}

variable "api_rate_limit" {
  description = "API_RATE_LIMIT: requests to the api per user per window, per instance, sustained (0: no limit). /health, /openapi.json and the console's page are not counted."
  type        = number
  default     = 600
}

variable "api_rate_burst" {
  description = "API_RATE_BURST: requests to the api a user may make at once after being idle, per instance."
  type        = number
  default     = 60
}

# Per-user cap on requests being answered at once, per instance, beside the rate: one user's flood
# holds at most this many of an instance's requests (keep it below the instance's request
# concurrency: upload 8, api 40), the rest answered 429 RATE_LIMITED at once. 0 turns it off.
variable "upload_concurrent_requests" {
  description = "UPLOAD_CONCURRENT_REQUESTS: requests of one user upload answers at once, per instance (0: no cap)."
  type        = number
  default     = 4
}

variable "api_concurrent_requests" {
  description = "API_CONCURRENT_REQUESTS: requests of one user the api answers at once, per instance, long polls included (0: no cap)."
  type        = number
  default     = 16
}

variable "dispatch_max_instances" {
  description = "Max instances of dispatch."
  type        = number
  default     = 20
}

variable "worker_memory" {
  description = "Memory of an OCR worker instance (tesseract.js + a rendered page per OCR worker thread)."
  type        = string
  default     = "4Gi"
}

variable "worker_cpu" {
  description = "vCPUs of an OCR worker instance (one tesseract.js thread per CPU)."
  type        = string
  default     = "2"
}

variable "worker_timeout_seconds" {
  description = "Longest one delivery may run on a worker; the push subscriptions' ack deadline is 600 s, keep this at or below it."
  type        = number
  default     = 600
}

variable "worker_max_instances" {
  description = "Max instances of the OCR worker for each priority topic: more for high, so small documents never wait behind large ones."
  type        = map(number)
  default = {
    high   = 20
    normal = 10
    low    = 4
  }
  validation {
    condition     = alltrue([for p in ["high", "normal", "low"] : contains(keys(var.worker_max_instances), p)])
    error_message = "worker_max_instances needs high, normal and low."
  }
}

variable "worker_min_instances" {
  description = "Warm instances of each worker (0: scale to zero; 1 on high saves small documents a cold start)."
  type        = map(number)
  default = {
    high   = 0
    normal = 0
    low    = 0
  }
}

# ── Behaviour (env vars read by shared/config.ts) ──────────────────────────────────────────────
variable "user_in_flight_cap" {
  description = "USER_IN_FLIGHT_CAP: tasks of one user published or being read at once; the rest are held back and admitted as the user's tasks finish. Keep it well below worker_max_instances[\"high\"] so other users find an instance free."
  type        = number
  default     = 4
}

variable "user_in_flight_idle_cap" {
  description = "USER_IN_FLIGHT_IDLE_CAP: tasks of one user in flight at once while no other user has tasks held back (work-conserving: one user alone keeps the workers busy); user_in_flight_cap bites again as soon as someone else waits. At least user_in_flight_cap."
  type        = number
  default     = 8
}

variable "queue_aging_seconds" {
  description = "QUEUE_AGING_SECONDS: waiting work rises one lane (and a held task one requested priority) per this many seconds, so bulk work is never starved."
  type        = number
  default     = 60
}

variable "republish_queued_minutes" {
  description = "REPUBLISH_QUEUED_MINUTES: the scheduled queue care publishes again a QUEUED task published this long ago that no worker has taken up (a lost message)."
  type        = number
  default     = 10
}

variable "max_attempts" {
  description = "MAX_ATTEMPTS: OCR attempts per task before it is FAILED."
  type        = number
  default     = 5
}

variable "max_delivery_attempts" {
  description = "Pub/Sub deliveries before a message goes to ocr-dead-letter (5 to 100; above MAX_ATTEMPTS: the worker gives up first)."
  type        = number
  default     = 15
}

variable "retry_minimum_backoff" {
  description = "Pub/Sub retry policy: first redelivery delay."
  type        = string
  default     = "10s"
}

variable "retry_maximum_backoff" {
  description = "Pub/Sub retry policy: longest redelivery delay (at most 600s)."
  type        = string
  default     = "600s"
}

variable "shard_pages" {
  description = "SHARD_PAGES: a PDF of more pages is read in shards of at most this many, each its own message on the task's priority topic (any free worker instance takes one), then merged; 0 reads every document whole."
  type        = number
  default     = 20
  validation {
    condition     = var.shard_pages >= 0 && floor(var.shard_pages) == var.shard_pages
    error_message = "shard_pages is a whole number of pages, 0 to turn fan-out off."
  }
}

variable "delete_upload_on_success" {
  description = "DELETE_UPLOAD_ON_SUCCESS: the worker deletes an upload once its results are written (gives the worker delete on the uploads bucket)."
  type        = bool
  default     = false
}

variable "signed_url_minutes" {
  description = "SIGNED_URL_MINUTES: how long a signed upload URL is valid."
  type        = number
  default     = 30
}

variable "auth_audience" {
  description = "OAuth client ids (comma-separated) of the apps users sign in with: their Google ID tokens are accepted; each HTTP function's own URL always is."
  type        = string
  default     = ""
}

variable "priority_rules" {
  description = "PRIORITY_RULES: JSON list of {maxBytes, priority}; empty keeps the code's defaults."
  type        = string
  default     = ""
}

# ── Maintenance ────────────────────────────────────────────────────────────────────────────────
variable "scheduler_time_zone" {
  description = "Time zone of the daily cleanup job."
  type        = string
  default     = "Etc/UTC"
}

variable "cleanup_schedule" {
  description = "Cron schedule of the daily cleanup."
  type        = string
  default     = "30 3 * * *"
}

variable "recover_stale_schedule" {
  description = "Cron schedule of the stale-task recovery."
  type        = string
  default     = "*/5 * * * *"
}

# ── Monitoring ─────────────────────────────────────────────────────────────────────────────────
variable "alert_notification_channels" {
  description = "Notification channels of the dead-letter alert (projects/P/notificationChannels/ID, e.g. from `gcloud beta monitoring channels list`); empty: the alert only shows in the console."
  type        = list(string)
  default     = []
}

# ── Secrets (created with gcloud before the first apply: their values never enter the state) ──
variable "user_hash_secret_id" {
  description = "Secret Manager secret holding USER_HASH_SECRET (the HMAC key of user hashes; 16+ characters; never change it once users exist)."
  type        = string
  default     = "docvault-user-hash-secret"
}

variable "webhook_secret_id" {
  description = "Secret Manager secret holding WEBHOOK_SECRET (signs callbacks; 16+ characters)."
  type        = string
  default     = "docvault-webhook-secret"
}

variable "password_key_secret_id" {
  description = "Secret Manager secret holding PASSWORD_KEY (seals PDF passwords in tasks; 16+ characters)."
  type        = string
  default     = "docvault-password-key"
}

variable "public_http" {
  description = "Let anyone reach upload and api (they verify each caller's Google ID token themselves). false: callers need roles/run.invoker."
  type        = bool
  default     = true
}

# ── Deployment pipeline (deploy.tf; no trigger unless a repository is named) ────────────────────
variable "github_owner" {
  description = "Owner of the GitHub repository whose pushes run cloudbuild.yaml (with github_repo; the Cloud Build GitHub App must be installed on it). Empty: no trigger."
  type        = string
  default     = ""
}

variable "github_repo" {
  description = "Name of that GitHub repository (with github_owner). Empty: no trigger."
  type        = string
  default     = ""
}

variable "build_repository" {
  description = "Instead of github_owner/github_repo: a repository of a Cloud Build connection, projects/P/locations/L/connections/C/repositories/R (the trigger is created in L). Empty: none."
  type        = string
  default     = ""
  validation {
    condition     = var.build_repository == "" || can(regex("^projects/[^/]+/locations/[^/]+/connections/[^/]+/repositories/[^/]+$", var.build_repository))
    error_message = "build_repository is projects/P/locations/L/connections/C/repositories/R."
  }
}

variable "build_trigger_branch" {
  description = "Regular expression of the branches whose pushes run the pipeline (its deploy steps run on main only)."
  type        = string
  default     = "^main$"
}

variable "tf_state_bucket" {
  description = "Bucket of the Terraform state, passed to the pipeline as _TF_STATE_BUCKET; empty: <project>-tfstate."
  type        = string
  default     = ""
}
