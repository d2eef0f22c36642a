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
    }
    # Results live as long as their task (TASK_RETENTION_DAYS sets the task's expireAt).
    results = {
      name         = local.results_bucket
      delete_rules = [{ age = var.task_retention_days }]
      versioned    = false
    }
    # A replaced model can be restored: the last versions of each file are kept for a while.
    models = {
      name         = local.models_bucket
      delete_rules = [{ num_newer_versions = 3, with_state = "ARCHIVED" }, { days_since_noncurrent_time = 90 }]
      versioned    = true
    }
  }
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
