# Maintenance on a schedule, as calls to the api with the scheduler account's OIDC token.
#
# TODO(issue 7, next part): the api has no maintenance routes yet, so until they exist these jobs
# get 404 and change nothing. The work itself exists in shared/ops/queue-care.ts (recoverStale,
# cleanupTasks; `npx docvault queue recover-stale|cleanup` runs it by hand). Routes to add in
# functions/api/index.ts, answering only an ID token of the scheduler's service account:
#   POST /maintenance/recover-stale  → recoverStale: expired leases back to QUEUED and republished,
#                                      or FAILED and dead-lettered when out of attempts
#   POST /maintenance/cleanup        → cleanupTasks: results and uploads of long-finished tasks
# The api's account then also needs delete on the results and uploads buckets (iam.tf).

resource "google_cloud_scheduler_job" "recover_stale" {
  name             = "docvault-recover-stale"
  region           = var.region
  description      = "Requeue tasks whose worker died (expired lease)."
  schedule         = var.recover_stale_schedule
  time_zone        = var.scheduler_time_zone
  attempt_deadline = "120s"

  retry_config {
    retry_count = 0 # the next run is five minutes away
  }

  http_target {
    http_method = "POST"
    uri         = "${google_cloudfunctions2_function.api.service_config[0].uri}/maintenance/recover-stale"
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = google_cloudfunctions2_function.api.service_config[0].uri
    }
  }

  depends_on = [google_project_service.apis]
}

resource "google_cloud_scheduler_job" "cleanup" {
  name             = "docvault-cleanup"
  region           = var.region
  description      = "Daily removal of long-finished tasks' results and uploads."
  schedule         = var.cleanup_schedule
  time_zone        = var.scheduler_time_zone
  attempt_deadline = "600s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
  }

  http_target {
    http_method = "POST"
    uri         = "${google_cloudfunctions2_function.api.service_config[0].uri}/maintenance/cleanup"
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = google_cloudfunctions2_function.api.service_config[0].uri
    }
  }

  depends_on = [google_project_service.apis]
}
