# The five functions of functions/index.ts, all from one build of the source (dist/ + package.json
# + lock, staged by infra/package-source.sh):
#
#   upload, api   Cloud Run functions (2nd gen), HTTP
#   dispatch      Cloud Run function with an Eventarc trigger on the uploads bucket's finalize
#   callbacks     Cloud Run function fed by a push subscription on ocr-events (pubsub.tf)
#   ocr-worker    Cloud Run services, one per priority topic, fed by the push subscriptions
#
# Why the worker is a Cloud Run service and not a google_cloudfunctions2_function: the worker
# reads its traineddata from the models bucket mounted read-only (Cloud Storage FUSE volume,
# MODEL_CACHE_DIR), and the Cloud Functions API has no volumes. A 2nd-gen function *is* a Cloud
# Run service, so the worker runs the same functions-framework entry point (FUNCTION_TARGET =
# ocr-worker) from a container image that Google Cloud's buildpacks build from the same source
# folder (infra/build-worker-image.sh, or the Cloud Build pipeline); var.worker_image names it.

locals {
  # Every function parses the whole schema of shared/config.ts at cold start, so the variables it
  # requires (no default) are given to all of them; the rest only where they change something.
  env_common = {
    GOOGLE_CLOUD_PROJECT = var.project_id
    UPLOADS_BUCKET       = google_storage_bucket.store["uploads"].name
    RESULTS_BUCKET       = google_storage_bucket.store["results"].name
    MAX_ATTEMPTS         = tostring(var.max_attempts)
    TASK_RETENTION_DAYS  = tostring(var.task_retention_days)
    # Per-user fairness (core/fairness.ts): upload, dispatch and the worker admit, the api's queue care releases.
    USER_IN_FLIGHT_CAP       = tostring(var.user_in_flight_cap)
    USER_IN_FLIGHT_IDLE_CAP  = tostring(var.user_in_flight_idle_cap)
    QUEUE_AGING_SECONDS      = tostring(var.queue_aging_seconds)
    REPUBLISH_QUEUED_MINUTES = tostring(var.republish_queued_minutes)
  }
  # Set only when given: an empty value would not mean "the code's default".
  env_optional = merge(
    var.priority_rules == "" ? {} : { PRIORITY_RULES = var.priority_rules },
  )
  # Each HTTP function's own URL: the audience of the ID tokens sent to it (the scheduler's, for
  # /maintenance/*). AUTH_AUDIENCE is that plus the OAuth clients users sign in with
  # (var.auth_audience); without any audience the code refuses Google ID tokens outright, since
  # Google signs them for every app.
  function_urls = { for name in ["upload", "api"] : name => "https://${var.region}-${var.project_id}.cloudfunctions.net/${name}" }
  # The same function's Cloud Run URL (deterministic form), which clients minting tokens for the
  # service URL (google-auth-library's getIdTokenClient) use as the audience.
  run_urls = { for name in ["upload", "api"] : name => "https://${name}-${data.google_project.this.number}.${var.region}.run.app" }
  env_upload = {
    SIGNED_URL_MINUTES         = tostring(var.signed_url_minutes)
    RATE_LIMIT_WINDOW_SECONDS  = tostring(var.rate_limit_window_seconds)
    UPLOAD_RATE_LIMIT          = tostring(var.upload_rate_limit)
    UPLOAD_RATE_BURST          = tostring(var.upload_rate_burst)
    UPLOAD_CONCURRENT_REQUESTS = tostring(var.upload_concurrent_requests)
    # The web console is served by api; under a run.app URL it is another origin than upload.
    CONSOLE_ORIGINS = join(",", [for url in [local.function_urls["api"], local.run_urls["api"]] : regex("^https://[^/]+", url)])
    # statusUrl in upload's answers: the api is another function, on its own URL.
    API_URL = local.function_urls["api"]
  }
  env_api = {
    UPLOAD_URL                = local.function_urls["upload"] # where the console sends files
    MODELS_BUCKET             = google_storage_bucket.store["models"].name # GET /cache/info reads its manifest
    MAINTENANCE_CALLERS       = google_service_account.scheduler.email # the only caller of /maintenance/*
    RATE_LIMIT_WINDOW_SECONDS = tostring(var.rate_limit_window_seconds)
    API_RATE_LIMIT            = tostring(var.api_rate_limit)
    API_RATE_BURST            = tostring(var.api_rate_burst)
    API_CONCURRENT_REQUESTS   = tostring(var.api_concurrent_requests)
  }
  env_dispatch = {}
  env_worker = {
    MODELS_BUCKET            = google_storage_bucket.store["models"].name
    MODEL_CACHE_DIR          = local.model_mount_path
    DELETE_UPLOAD_ON_SUCCESS = tostring(var.delete_upload_on_success)
    WORKER_SLOTS             = "1" # one document per instance: concurrency 1
    SHARD_PAGES              = tostring(var.shard_pages)
  }
}

# ── upload and api (HTTP) ───────────────────────────────────────────────────────────────────────
# The two HTTP functions differ only in what is in local.http_functions; both authenticate every
# caller themselves (Google ID token), so they take traffic from anywhere.
locals {
  http_functions = {
    # POST multipart (each file checked, the good ones taken) and signed upload URLs: few, long requests.
    upload = {
      timeout_seconds = 300
      concurrency     = 8
      env             = local.env_upload
    }
    # Reads and small writes: many short requests per instance.
    api = {
      timeout_seconds = 120
      concurrency     = 40
      env             = local.env_api
    }
  }
}

resource "google_cloudfunctions2_function" "http" {
  for_each = local.http_functions
  name     = each.key
  location = var.region

  build_config {
    runtime         = var.nodejs_runtime
    entry_point     = each.key
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.fn[each.key].email
    available_memory                 = var.http_memory
    available_cpu                    = "1"
    timeout_seconds                  = each.value.timeout_seconds
    max_instance_count               = var.http_max_instances
    max_instance_request_concurrency = each.value.concurrency
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    environment_variables            = merge(local.env_common, local.env_optional, each.value.env, {
      AUTH_AUDIENCE = join(",", compact(concat([local.function_urls[each.key], local.run_urls[each.key]], split(",", var.auth_audience))))
    })

    secret_environment_variables {
      key        = "USER_HASH_SECRET"
      project_id = var.project_id
      secret     = data.google_secret_manager_secret.user_hash.secret_id
      version    = "latest"
    }
    # upload seals a PDF's password into its task, the api (POST /tasks/{id}/password) too.
    secret_environment_variables {
      key        = "PASSWORD_KEY"
      project_id = var.project_id
      secret     = data.google_secret_manager_secret.password_key.secret_id
      version    = "latest"
    }
    # The api signs the callbacks of the tasks /maintenance/recover-stale fails.
    dynamic "secret_environment_variables" {
      for_each = each.key == "api" ? [1] : []
      content {
        key        = "WEBHOOK_SECRET"
        project_id = var.project_id
        secret     = data.google_secret_manager_secret.webhook.secret_id
        version    = "latest"
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.user_hash, google_secret_manager_secret_iam_member.webhook, google_project_iam_member.build]
}

# They were two resources before; their state moves to the for_each instances.
moved {
  from = google_cloudfunctions2_function.upload
  to   = google_cloudfunctions2_function.http["upload"]
}
moved {
  from = google_cloudfunctions2_function.api
  to   = google_cloudfunctions2_function.http["api"]
}

# ── dispatch (Eventarc: object finalized in the uploads bucket) ─────────────────────────────────
resource "google_cloudfunctions2_function" "dispatch" {
  name     = "dispatch"
  location = var.region

  build_config {
    runtime         = var.nodejs_runtime
    entry_point     = "dispatch"
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.fn["dispatch"].email
    available_memory                 = "512Mi"
    available_cpu                    = "1"
    timeout_seconds                  = 60
    max_instance_count               = var.dispatch_max_instances
    max_instance_request_concurrency = 20
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    environment_variables            = merge(local.env_common, local.env_optional, local.env_dispatch)

    secret_environment_variables {
      key        = "USER_HASH_SECRET"
      project_id = var.project_id
      secret     = data.google_secret_manager_secret.user_hash.secret_id
      version    = "latest"
    }
    # Dispatch signs the callback of a task it fails itself (an object over the size limit).
    secret_environment_variables {
      key        = "WEBHOOK_SECRET"
      project_id = var.project_id
      secret     = data.google_secret_manager_secret.webhook.secret_id
      version    = "latest"
    }
  }

  # The Cloud Functions API creates and owns this Eventarc trigger (a storage trigger lives in
  # the bucket's region). Failed deliveries are retried: a repeated event maps to the same task.
  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.storage.object.v1.finalized"
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.eventarc.email
    event_filters {
      attribute = "bucket"
      value     = google_storage_bucket.store["uploads"].name
    }
  }

  depends_on = [
    google_secret_manager_secret_iam_member.user_hash,
    google_secret_manager_secret_iam_member.webhook,
    google_project_iam_member.build,
    google_project_iam_member.storage_agent_pubsub_publisher,
    google_project_iam_member.eventarc_receiver,
  ]
}

# ── callbacks (ocr-events → the tasks' callbacks, outside the OCR workers) ─────────────────────
# Fed by our own push subscription (pubsub.tf), not an Eventarc trigger, for its retry policy and
# dead-letter topic.
resource "google_cloudfunctions2_function" "callbacks" {
  name     = "callbacks"
  location = var.region

  build_config {
    runtime         = var.nodejs_runtime
    entry_point     = "callbacks"
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.fn["callbacks"].email
    available_memory                 = "256Mi"
    available_cpu                    = "1"
    timeout_seconds                  = 30
    max_instance_count               = var.dispatch_max_instances
    max_instance_request_concurrency = 40 # each delivery mostly waits on a receiver
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    environment_variables            = merge(local.env_common, local.env_optional)

    secret_environment_variables {
      key        = "USER_HASH_SECRET"
      project_id = var.project_id
      secret     = data.google_secret_manager_secret.user_hash.secret_id
      version    = "latest"
    }
    # Every callback is signed with it.
    secret_environment_variables {
      key        = "WEBHOOK_SECRET"
      project_id = var.project_id
      secret     = data.google_secret_manager_secret.webhook.secret_id
      version    = "latest"
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.user_hash, google_secret_manager_secret_iam_member.webhook, google_project_iam_member.build]
}

# ── ocr-worker, one Cloud Run service per priority topic ───────────────────────────────────────
resource "google_cloud_run_v2_service" "ocr_worker" {
  for_each            = local.priority_topics
  name                = "ocr-worker-${each.key}"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL" # Pub/Sub push; every request must carry an ID token (no public invoker)
  deletion_protection = false

  template {
    service_account                  = google_service_account.fn["ocr-worker"].email
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2" # Cloud Storage volumes need gen2
    timeout                          = "${var.worker_timeout_seconds}s"
    max_instance_request_concurrency = 1

    scaling {
      min_instance_count = var.worker_min_instances[each.key]
      max_instance_count = var.worker_max_instances[each.key]
    }

    volumes {
      name = "models"
      gcs {
        bucket    = google_storage_bucket.store["models"].name
        read_only = true
      }
    }

    containers {
      image = var.worker_image

      resources {
        limits = {
          cpu    = var.worker_cpu
          memory = var.worker_memory
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      # The functions framework serves the function named here (functions/index.ts).
      env {
        name  = "FUNCTION_TARGET"
        value = "ocr-worker"
      }
      env {
        name  = "FUNCTION_SIGNATURE_TYPE"
        value = "cloudevent"
      }
      dynamic "env" {
        for_each = merge(local.env_common, local.env_optional, local.env_worker)
        content {
          name  = env.key
          value = env.value
        }
      }
      env {
        name = "USER_HASH_SECRET"
        value_source {
          secret_key_ref {
            secret  = data.google_secret_manager_secret.user_hash.secret_id
            version = "latest"
          }
        }
      }
      # Opens a task's sealed PDF password for the read.
      env {
        name = "PASSWORD_KEY"
        value_source {
          secret_key_ref {
            secret  = data.google_secret_manager_secret.password_key.secret_id
            version = "latest"
          }
        }
      }
      env {
        name = "WEBHOOK_SECRET"
        value_source {
          secret_key_ref {
            secret  = data.google_secret_manager_secret.webhook.secret_id
            version = "latest"
          }
        }
      }

      volume_mounts {
        name       = "models"
        mount_path = local.model_mount_path
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_iam_member.user_hash,
    google_secret_manager_secret_iam_member.webhook,
    google_storage_bucket_iam_member.worker_models,
  ]
}

# Where build-worker-image.sh pushes the workers' image; old untagged images are removed.
resource "google_artifact_registry_repository" "images" {
  repository_id = "docvault"
  location      = var.region
  format        = "DOCKER"
  description   = "DocVault OCR worker images (built from the functions' source)"

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s"
    }
  }

  depends_on = [google_project_service.apis]
}
