# One service account per function, each with only what its code does (shared/services/*), on
# the resources it touches; project-wide roles only where the service has no finer grain
# (Firestore). No primitive roles (owner, editor, viewer) anywhere: test/infra checks it.
#
#   upload      writes (and on a failed request deletes) objects in uploads; signs upload URLs;
#               creates each task PENDING as it answers and, for a multipart upload, runs dispatch's
#               step on it (publishes to the priority topics; events, as dispatch does)
#   dispatch    reads uploads' objects, creates tasks, publishes to the priority topics
#   ocr-worker  reads uploads (deletes too with DELETE_UPLOAD_ON_SUCCESS) and models, writes
#               results, updates tasks, publishes events and dead letters
#   api         reads tasks, results, pending uploads and the models manifest; requeues
#               (publishes to the priority topics)
#   callbacks   reads tasks and records their callbacks' delivery; publishes given-up callbacks

resource "google_service_account" "fn" {
  for_each     = toset(["upload", "dispatch", "ocr-worker", "api", "callbacks"])
  account_id   = "docvault-${each.key}"
  display_name = "DocVault ${each.key}"
  depends_on   = [google_project_service.apis]
}

# Identities of the platforms that call our functions.
resource "google_service_account" "eventarc" {
  account_id   = "docvault-eventarc"
  display_name = "DocVault Eventarc trigger (uploads finalize → dispatch)"
}

resource "google_service_account" "pubsub_push" {
  account_id   = "docvault-pubsub-push"
  display_name = "DocVault Pub/Sub push (priority topics → ocr-worker)"
}

resource "google_service_account" "scheduler" {
  account_id   = "docvault-scheduler"
  display_name = "DocVault maintenance schedule"
}

# ── Cloud Storage ──────────────────────────────────────────────────────────────────────────────
resource "google_storage_bucket_iam_member" "upload_uploads" {
  bucket = google_storage_bucket.store["uploads"].name
  role   = "roles/storage.objectUser" # create, and delete the parts of a batch that failed
  member = google_service_account.fn["upload"].member
}

resource "google_storage_bucket_iam_member" "dispatch_uploads" {
  bucket = google_storage_bucket.store["uploads"].name
  role   = "roles/storage.objectViewer"
  member = google_service_account.fn["dispatch"].member
}

resource "google_storage_bucket_iam_member" "worker_uploads" {
  bucket = google_storage_bucket.store["uploads"].name
  role   = var.delete_upload_on_success ? "roles/storage.objectUser" : "roles/storage.objectViewer"
  member = google_service_account.fn["ocr-worker"].member
}

resource "google_storage_bucket_iam_member" "worker_results" {
  for_each = toset(["roles/storage.objectCreator", "roles/storage.objectViewer"]) # write once, never delete
  bucket   = google_storage_bucket.store["results"].name
  role     = each.value
  member   = google_service_account.fn["ocr-worker"].member
}

resource "google_storage_bucket_iam_member" "worker_models" {
  bucket = google_storage_bucket.store["models"].name
  role   = "roles/storage.objectViewer" # the read-only mount
  member = google_service_account.fn["ocr-worker"].member
}

resource "google_storage_bucket_iam_member" "api_reads" {
  for_each = {
    models = google_storage_bucket.store["models"].name # /cache/info: the manifest
  }
  bucket = each.value
  role   = "roles/storage.objectViewer"
  member = google_service_account.fn["api"].member
}

# Reads results and pending uploads; the scheduled cleanup (/maintenance/cleanup) deletes the
# objects of long-finished tasks in both.
resource "google_storage_bucket_iam_member" "api_reads_and_cleans" {
  for_each = {
    uploads = google_storage_bucket.store["uploads"].name
    results = google_storage_bucket.store["results"].name
  }
  bucket = each.value
  role   = "roles/storage.objectUser"
  member = google_service_account.fn["api"].member
}

# V4 signed upload URLs are signed with the function's own key (IAM signBlob on itself).
resource "google_service_account_iam_member" "upload_signs_urls" {
  service_account_id = google_service_account.fn["upload"].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.fn["upload"].member
}

# ── Firestore (no per-collection IAM: database-wide read/write for the functions that use it) ──
resource "google_project_iam_member" "firestore_user" {
  for_each = toset(["upload", "dispatch", "ocr-worker", "api", "callbacks"])
  project  = var.project_id
  role     = "roles/datastore.user"
  member   = google_service_account.fn[each.key].member
}

# ── Pub/Sub ────────────────────────────────────────────────────────────────────────────────────
resource "google_pubsub_topic_iam_member" "priority_publishers" {
  for_each = {
    for pair in setproduct(keys(local.priority_topics), ["upload", "dispatch", "api"]) : "${pair[0]}-${pair[1]}" => {
      topic = pair[0]
      fn    = pair[1]
    }
  }
  topic  = google_pubsub_topic.priority[each.value.topic].id
  role   = "roles/pubsub.publisher"
  member = google_service_account.fn[each.value.fn].member
}

# The worker, and the api's /maintenance/recover-stale, fail tasks: events and dead letters;
# dispatch's step (dispatch, and upload for its multipart documents) fails over-limit objects: events.
resource "google_pubsub_topic_iam_member" "events_publishers" {
  for_each = toset(["ocr-worker", "api", "dispatch", "upload"])
  topic    = google_pubsub_topic.events.id
  role     = "roles/pubsub.publisher"
  member   = google_service_account.fn[each.key].member
}

resource "google_pubsub_topic_iam_member" "dead_letter_publishers" {
  for_each = toset(["ocr-worker", "api"])
  topic    = google_pubsub_topic.dead_letter.id
  role     = "roles/pubsub.publisher"
  member   = google_service_account.fn[each.key].member
}

# ── Invokers ───────────────────────────────────────────────────────────────────────────────────
# Pub/Sub pushes to the workers with an OIDC token of pubsub_push; its service agent mints it.
resource "google_cloud_run_v2_service_iam_member" "push_invokes_worker" {
  for_each = google_cloud_run_v2_service.ocr_worker
  location = each.value.location
  name     = each.value.name
  role     = "roles/run.invoker"
  member   = google_service_account.pubsub_push.member
}

resource "google_service_account_iam_member" "pubsub_agent_mints_push_tokens" {
  service_account_id = google_service_account.pubsub_push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# Eventarc delivers finalize events to dispatch as the eventarc account.
resource "google_project_iam_member" "eventarc_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = google_service_account.eventarc.member
}

resource "google_cloud_run_v2_service_iam_member" "eventarc_invokes_dispatch" {
  location = var.region
  name     = google_cloudfunctions2_function.dispatch.name # a 2nd-gen function's service has its name
  role     = "roles/run.invoker"
  member   = google_service_account.eventarc.member
}

# Cloud Storage's service agent publishes the bucket's events for Eventarc.
resource "google_project_iam_member" "storage_agent_pubsub_publisher" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = local.storage_service_agent
}

# The scheduler calls the api's maintenance routes with an OIDC token.
resource "google_cloud_run_v2_service_iam_member" "scheduler_invokes_api" {
  location = var.region
  name     = google_cloudfunctions2_function.http["api"].name
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler.member
}

# upload and api authenticate each caller themselves (Google ID token → user hash), so the
# platform lets every request through to them unless public_http is false.
resource "google_cloud_run_v2_service_iam_member" "public_http" {
  for_each = var.public_http ? toset(keys(local.http_functions)) : toset([])
  location = var.region
  name     = google_cloudfunctions2_function.http[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# ── Builds ─────────────────────────────────────────────────────────────────────────────────────
# Cloud Build runs the functions' builds as this account (not the project's default compute
# account, which new projects no longer give broad roles).
resource "google_service_account" "build" {
  account_id   = "docvault-build"
  display_name = "DocVault function builds"
}

# The role Cloud Functions documents for a custom build account: logs, the build's images, and
# the staged source it reads.
resource "google_project_iam_member" "build" {
  for_each = toset(["roles/cloudbuild.builds.builder"])
  project  = var.project_id
  role     = each.value
  member   = google_service_account.build.member
}

resource "google_storage_bucket_iam_member" "build_reads_source" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
}

# The callbacks function gives up a callback onto its own dead-letter topic.
resource "google_pubsub_topic_iam_member" "callbacks_dead_letter_publisher" {
  topic  = google_pubsub_topic.callback_dead_letter.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.fn["callbacks"].member
}

# Pub/Sub pushes ocr-events to the callbacks function with an OIDC token of pubsub_push.
resource "google_cloud_run_v2_service_iam_member" "push_invokes_callbacks" {
  location = var.region
  name     = google_cloudfunctions2_function.callbacks.name # a 2nd-gen function's service has its name
  role     = "roles/run.invoker"
  member   = google_service_account.pubsub_push.member
}
