# DocVault OCR on Google Cloud: providers, the names shared with the code, the project's APIs.
#
# Resource names below must equal shared/names.ts; test/infra/terraform.test.ts parses these files
# and fails when the two drift apart (a topic renamed in the code but not here, an env var the
# config schema reads that no function is given, an OCR worker without its model mount).

terraform {
  required_version = ">= 1.6"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.20, < 8.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4"
    }
  }
  # State: pass a bucket at init time, e.g.
  #   terraform init -backend-config="bucket=<project>-tfstate" -backend-config="prefix=docvault"
  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region
}

data "google_project" "this" {
  project_id = var.project_id
}

# Cloud Storage's service agent, created on first lookup (it publishes the buckets' events).
data "google_storage_project_service_account" "gcs" {
  depends_on = [google_project_service.apis]
}

locals {
  # ── Names shared with the code: keep equal to shared/names.ts ─────────────────────────────
  priority_topics = {
    high   = "ocr-high"
    normal = "ocr-normal"
    low    = "ocr-low"
  }
  worker_subscriptions = {
    high   = "ocr-high-worker"
    normal = "ocr-normal-worker"
    low    = "ocr-low-worker"
  }
  dead_letter_topic        = "ocr-dead-letter"
  dead_letter_subscription = "ocr-dead-letter-sink"
  events_topic             = "ocr-events"
  # The callbacks function's push subscription on ocr-events and its own dead letters.
  callback_subscription             = "ocr-events-callbacks"
  callback_dead_letter_topic        = "ocr-callbacks-dead-letter"
  callback_dead_letter_subscription = "ocr-callbacks-dead-letter-sink"
  tasks_collection         = "tasks"
  batches_collection       = "batches"
  content_index_collection = "contentIndex"

  # ── Bucket names: globally unique, so prefixed with the project unless set ────────────────
  uploads_bucket = coalesce(var.uploads_bucket_name, "${var.project_id}-docvault-uploads")
  results_bucket = coalesce(var.results_bucket_name, "${var.project_id}-docvault-results")
  models_bucket  = coalesce(var.models_bucket_name, "${var.project_id}-docvault-models")

  # Service agents that act on our resources.
  pubsub_service_agent  = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  storage_service_agent = data.google_storage_project_service_account.gcs.member

  # The folder the worker sees the models bucket at (layout tessdata/{lang}.traineddata).
  model_mount_path = "/mnt/models"
}

# APIs the deployment uses. Left enabled on destroy: other things in the project may need them.
resource "google_project_service" "apis" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "eventarc.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
  service            = each.value
  disable_on_destroy = false
}
