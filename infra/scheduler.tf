# Maintenance on a schedule, as calls to the api with the scheduler account's OIDC token.
#
# The api answers /maintenance/* only to the accounts in MAINTENANCE_CALLERS (this one):
#   POST /maintenance/recover-stale  expired leases back to QUEUED and republished, or FAILED and
#                                    dead-lettered when out of attempts; then held-back tasks admitted
#                                    and QUEUED tasks never taken up published again (release-queued)
#   POST /maintenance/cleanup        results, uploads and task documents of long-finished tasks

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
    uri         = "${google_cloudfunctions2_function.http["api"].service_config[0].uri}/maintenance/recover-stale"
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.function_urls["api"]
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
    uri         = "${google_cloudfunctions2_function.http["api"].service_config[0].uri}/maintenance/cleanup"
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.function_urls["api"]
    }
  }

  depends_on = [google_project_service.apis]
}
