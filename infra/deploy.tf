# The deployment pipeline: a Cloud Build trigger that runs cloudbuild.yaml on every push to main
# (install, lint, type-check, test, build; then the workers' image, terraform plan and apply), as
# its own service account.
#
# Created only when a repository is named: github_owner + github_repo (the Cloud Build GitHub App,
# connected once in the console), or build_repository (a repository of a Cloud Build connection,
# projects/P/locations/L/connections/C/repositories/R). By default there is no trigger, no deploy
# account and none of its grants.
#
# The pipeline's `terraform plan` must see the same variables as the apply that created the
# trigger (infra/README.md, "The pipeline's variables": commit them in deploy.auto.tfvars.json).
# Without github_owner/github_repo it would plan to delete the trigger and the account it runs
# as; prevent_destroy makes such a plan fail instead.

locals {
  build_trigger_enabled = var.github_owner != "" || var.github_repo != "" || var.build_repository != ""
  # A trigger on a connection's repository lives in the connection's region.
  build_trigger_location = var.build_repository == "" ? "global" : regex("/locations/([^/]+)/", var.build_repository)[0]
  tf_state_bucket        = coalesce(var.tf_state_bucket, "${var.project_id}-tfstate")

  # What `terraform apply` of infra/ and infra/build-worker-image.sh do, role by role. No
  # primitive role; project IAM only through the conditional grant below.
  deploy_roles = [
    "roles/serviceusage.serviceUsageAdmin",       # google_project_service.apis
    "roles/storage.admin",                        # buckets and their IAM, the source archive, the state, build uploads
    "roles/pubsub.admin",                         # topics, subscriptions and their IAM
    "roles/datastore.owner",                      # the Firestore database, indexes and TTL policy
    "roles/cloudfunctions.developer",             # upload, api, dispatch
    "roles/eventarc.admin",                       # dispatch's Eventarc trigger, created through Cloud Functions
    "roles/run.admin",                            # the OCR worker services, invoker grants on every service
    "roles/cloudscheduler.admin",                 # the maintenance jobs
    "roles/iam.serviceAccountAdmin",              # the functions' and platforms' accounts, grants on them
    "roles/iam.serviceAccountUser",               # deploy what runs as those accounts
    "roles/artifactregistry.admin",               # the image repository and its cleanup policies; the workers' image
    "roles/cloudbuild.builds.editor",             # build-worker-image.sh's build; this trigger
    "roles/monitoring.alertPolicyEditor",         # the dead-letter alert
    "roles/monitoring.notificationChannelViewer", # the alert's notification channels
    "roles/logging.logWriter",                    # the build's own logs (cloudbuild.yaml: CLOUD_LOGGING_ONLY)
    "roles/browser",                              # data.google_project (the project number)
  ]

  # The roles iam.tf grants on the project.
  infra_project_roles = [
    "roles/datastore.user",            # firestore_user
    "roles/eventarc.eventReceiver",    # eventarc_receiver
    "roles/pubsub.publisher",          # storage_agent_pubsub_publisher
    "roles/cloudbuild.builds.builder", # build
  ]
  # The deploy account may grant and revoke these on the project, and nothing else (in particular
  # not roles/resourcemanager.projectIamAdmin itself).
  project_grantable_roles = concat(local.infra_project_roles, local.deploy_roles)
}

resource "google_service_account" "deploy" {
  count        = local.build_trigger_enabled ? 1 : 0
  account_id   = "docvault-deploy"
  display_name = "DocVault deploy pipeline (cloudbuild.yaml)"
  depends_on   = [google_project_service.apis]
}

resource "google_project_iam_member" "deploy" {
  for_each = local.build_trigger_enabled ? toset(local.deploy_roles) : toset([])
  project  = var.project_id
  role     = each.value
  member   = google_service_account.deploy[0].member
}

# google_project_iam_member grants above and in iam.tf: Project IAM Admin, limited to those roles.
resource "google_project_iam_member" "deploy_project_grants" {
  count   = local.build_trigger_enabled ? 1 : 0
  project = var.project_id
  role    = "roles/resourcemanager.projectIamAdmin"
  member  = google_service_account.deploy[0].member

  condition {
    title       = "docvault-project-grants"
    description = "Grant and revoke only the project roles that infra/ grants."
    expression  = "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(${jsonencode(local.project_grantable_roles)})"
  }
}

# The two secrets: read their metadata and share them with the functions (secrets.tf). On these
# secrets only, not the project's.
resource "google_secret_manager_secret_iam_member" "deploy" {
  for_each = local.build_trigger_enabled ? {
    user_hash = data.google_secret_manager_secret.user_hash.id
    webhook   = data.google_secret_manager_secret.webhook.id
  } : {}
  secret_id = each.value
  role      = "roles/secretmanager.admin"
  member    = google_service_account.deploy[0].member
}

resource "google_cloudbuild_trigger" "deploy" {
  count           = local.build_trigger_enabled ? 1 : 0
  name            = "docvault-deploy"
  location        = local.build_trigger_location
  description     = "cloudbuild.yaml on every push to ${var.build_trigger_branch}: tests, then the deployment of infra/"
  filename        = "cloudbuild.yaml"
  service_account = google_service_account.deploy[0].id

  # The substitutions cloudbuild.yaml declares (_TF_IMAGE keeps its default).
  substitutions = {
    _REGION          = var.region
    _TF_STATE_BUCKET = local.tf_state_bucket
  }

  dynamic "github" {
    for_each = var.github_repo != "" ? [var.github_repo] : []
    content {
      owner = var.github_owner
      name  = github.value
      push {
        branch = var.build_trigger_branch
      }
    }
  }

  dynamic "repository_event_config" {
    for_each = var.build_repository != "" ? [var.build_repository] : []
    content {
      repository = repository_event_config.value
      push {
        branch = var.build_trigger_branch
      }
    }
  }

  lifecycle {
    prevent_destroy = true
    precondition {
      condition     = (var.github_owner == "") == (var.github_repo == "") && (var.github_repo == "" || var.build_repository == "")
      error_message = "Name the repository with github_owner and github_repo together, or with build_repository, not both."
    }
  }

  depends_on = [
    google_project_iam_member.deploy,
    google_project_iam_member.deploy_project_grants,
    google_project_service.apis,
  ]
}
