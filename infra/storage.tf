# Buckets: uploads (documents in, users/{userHash}/…), results (result.json, text, hOCR, PDF),
# models (traineddata, mounted read-only into the OCR workers), and the functions' source.
# All private: uniform bucket-level access, public access prevention enforced.

locals {
  # The three buckets of the application, one google_storage_bucket.store instance each: what
  # they share is written once in the resource, what differs is here.
  buckets = {
    # Uploaded documents go after upload_retention_days.
    uploads = {
      name         = local.uploads_bucket
      delete_rules = [{ age = var.upload_retention_days }]
      versioned    = false
      cors_origins = var.upload_cors_origins
    }
    # Results live as long as their task (TASK_RETENTION_DAYS sets the task's expireAt).
    results = {
      name         = local.results_bucket
      delete_rules = [{ age = var.task_retention_days }]
      versioned    = false
      cors_origins = []
    }
    # A replaced model can be restored: the last versions of each file are kept for a while.
    models = {
      name         = local.models_bucket
      delete_rules = [{ num_newer_versions = 3, with_state = "ARCHIVED" }, { days_since_noncurrent_time = 90 }]
      versioned    = true
      cors_origins = []
    }
  }

  # What a browser sends and reads when it uploads with a signed URL of the upload function
  # (shared/services/upload.ts, createSignedUpload): a POST with the signed headers opens a
  # resumable session, whose URI comes back in Location; PUTs carry the bytes, in chunks with
  # Content-Range, and a 308 answer's Range says how much is stored. The headers the POST must
  # send (x-goog-*, the object metadata of shared/names.ts OBJECT_METADATA) are listed as well, so
  # that the preflight lets them through.
  upload_cors_headers = [
    "Content-Type", "Content-Range", "Range", "Location", "x-goog-resumable",
    "x-goog-if-generation-match", "x-goog-content-length-range",
    "x-goog-meta-docvault-task-id", "x-goog-meta-docvault-batch-id", "x-goog-meta-docvault-priority",
    "x-goog-meta-docvault-languages", "x-goog-meta-docvault-callback-url",
    "x-goog-meta-docvault-original-name", "x-goog-meta-docvault-source", "x-goog-meta-docvault-sealed-password",
  ]
}

resource "google_storage_bucket" "store" {
  for_each                    = local.buckets
  name                        = each.value.name
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets

  dynamic "versioning" {
    for_each = each.value.versioned ? [true] : []
    content {
      enabled = versioning.value
    }
  }

  dynamic "lifecycle_rule" {
    for_each = each.value.delete_rules
    content {
      condition {
        age                        = lookup(lifecycle_rule.value, "age", null)
        num_newer_versions         = lookup(lifecycle_rule.value, "num_newer_versions", null)
        with_state                 = lookup(lifecycle_rule.value, "with_state", null)
        days_since_noncurrent_time = lookup(lifecycle_rule.value, "days_since_noncurrent_time", null)
      }
      action {
        type = "Delete"
      }
    }
  }
  lifecycle_rule {
    condition {
      age = var.incomplete_upload_days
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  # Browsers on these origins may upload with a signed URL (upload_cors_origins; empty: no CORS
  # configuration, so only non-browser clients can use the URLs).
  dynamic "cors" {
    for_each = length(each.value.cors_origins) > 0 ? [each.value.cors_origins] : []
    content {
      origin          = cors.value
      method          = ["PUT", "POST", "OPTIONS"]
      response_header = local.upload_cors_headers
      max_age_seconds = 3600
    }
  }

  depends_on = [google_project_service.apis]
}

# The buckets were three resources before; their state moves to the for_each instances.
moved {
  from = google_storage_bucket.uploads
  to   = google_storage_bucket.store["uploads"]
}
moved {
  from = google_storage_bucket.results
  to   = google_storage_bucket.store["results"]
}
moved {
  from = google_storage_bucket.models
  to   = google_storage_bucket.store["models"]
}

# The functions' source archive (dist/ + package.json + lock), built by infra/package-source.sh.
resource "google_storage_bucket" "source" {
  name                        = "${var.project_id}-docvault-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

data "archive_file" "source" {
  type        = "zip"
  source_dir  = var.source_dir
  output_path = "${path.module}/build/source.zip"
}

# Named by content: a new build is a new object, so every function sees the change and redeploys.
resource "google_storage_bucket_object" "source" {
  name   = "source-${data.archive_file.source.output_md5}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}
