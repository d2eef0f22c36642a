# Maintenance on a schedule, as calls to the api with the scheduler account's OIDC token.
#
# TODO(issue 7, next part): the api has no maintenance routes yet. Until they exist these jobs get
# 404 and change nothing. To add in functions/api/index.ts, callable only by the scheduler's
# service account (output service_accounts is not enough: check the token's email):
#   POST /maintenance/recover-stale  PROCESSING tasks whose lease expired → QUEUED and republished
#                                    (or FAILED when out of attempts); needs an index on
#                                    status + lease.expiresAt
#   POST /maintenance/cleanup        results and uploads of expired tasks, dead letters drained
#                                    from ocr-dead-letter-sink into FAILED tasks

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
  description      = "Daily cleanup of expired results and drained dead letters."
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
