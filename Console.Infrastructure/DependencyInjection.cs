using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Channels;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Infrastructure.Email;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Reminders;
using OperatorConsole.Infrastructure.Scheduling;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Telemetry;
using OperatorConsole.Infrastructure.Tenants;
using OperatorConsole.Infrastructure.Webhooks;

namespace OperatorConsole.Infrastructure;

public static class DependencyInjection
{
    public static IServiceCollection AddConsoleInfrastructure(this IServiceCollection services, IConfiguration config)
    {
        var connectionString = DatabaseSetup.ForServing(config.GetConnectionString("Default")
            ?? throw new InvalidOperationException("ConnectionStrings:Default is not set (./console.sh run sets it)."));

        services.TryAddSingleton(TimeProvider.System);
        services.AddScoped<TenantContext>();
        // Scoped factory: contexts it creates get the scope's TenantContext (circuits, requests, job scopes).
        services.AddDbContextFactory<AppDbContext>((sp, o) =>
        {
            DatabaseSetup.Configure(o, connectionString);
            o.AddInterceptors(sp.GetRequiredService<ConversationTimerInterceptor>(), sp.GetRequiredService<Events.DomainEventInterceptor>());
        }, ServiceLifetime.Scoped);
        services.AddConsoleScheduler(config, connectionString);
        services.TryAddScoped(sp => sp.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext());

        services.AddDataProtection()
            .SetApplicationName("OperatorConsole")
            .PersistKeysToDbContext<AppDbContext>()
            .AddKeyRingProtection(config);

        // One options class per section, each bound once here (Agent and Appointments in AddAgentRunner, DataProtection
        // with the key ring, RateLimits in the app) and checked at start: a bad value stops the start, naming the key.
        services.AddSection<SmtpOptions>("Smtp");
        services.AddSection<MetaOptions>("Meta");
        services.AddSection<TikTokOptions>("TikTok");
        services.AddSection<LlmOptions>("Llm");
        services.AddSection<StripeOptions>("Stripe");
        services.AddSection<OutboundOptions>("Outbound");
        services.AddSection<PlatformOptions>("Platform");
        services.AddSection<Media.MediaOptions>("Media");
        services.AddSection<Security.NetworkOptions>("Network").PostConfigure<IConfiguration>(Security.NetworkOptions.AddSingleValues);
        services.AddSection<Channels.Inbound.WebhookOptions>("Webhooks");
        services.AddSection<Live.LiveOptions>("Live");
        services.AddSection<SimulatorOptions>("Simulator");
        services.AddSection<DatabaseOptions>("Database");
        services.AddSection<DemoOptions>("Demo");
        services.AddSection<Leads.ImportOptions>("Imports");
        services.AddSingleton<PublicBaseUrlSetup>();
        services.AddSingleton<Microsoft.Extensions.Options.IPostConfigureOptions<PlatformOptions>>(sp => sp.GetRequiredService<PublicBaseUrlSetup>());
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<PlatformOptions>>(sp => sp.GetRequiredService<PublicBaseUrlSetup>());
        services.AddSingleton<PublicLinks>();
        services.AddSingleton<ContextScopes>();
        services.AddSingleton<Leads.ContactImportSignal>();
        services.AddSingleton<Leads.ContactImports>();
        services.AddSingleton<Leads.ContactImportRunner>();
        services.AddHostedService<Leads.ContactImportWorker>();
        services.AddSingleton<SecretProtector>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<SystemEventWriter>();
        services.AddConsoleTelemetry(config);
        services.AddSingleton<EmailOutbox>();
        services.AddSingleton<EmailLog>();
        services.AddSingleton<FailedWork>();
        services.AddSingleton<PlatformLogs>();
        services.AddSingleton<IEmailSender<ApplicationUser>>(sp => sp.GetRequiredService<EmailOutbox>());
        services.AddSingleton<ChannelOwnershipProof>();
        services.AddSingleton<ChannelConnections>();
        services.AddSingleton<EmbeddedSignup>();
        services.AddSingleton<Templates.WhatsAppTemplates>();
        services.AddSingleton<Channels.Inbound.InboxSignal>();
        services.AddSingleton<Channels.Inbound.IngestPressure>();
        services.AddSingleton<Channels.Inbound.WebhookInbox>();
        services.AddSingleton<Channels.Inbound.WebhookIntake>();
        services.AddSingleton<Channels.Inbound.WebhookProcessor>();
        services.AddHostedService<Channels.Inbound.WebhookInboxWorker>();
        services.AddSingleton<Live.LiveNode>();
        services.AddSingleton<Live.ConversationNotifier>();
        services.AddSingleton<Live.ConversationActivity>();
        services.AddHostedService(sp => sp.GetRequiredService<Live.ConversationActivity>());
        services.AddSingleton<Live.LiveChangesRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<Live.LiveChangesRelay>());
        services.AddSingleton<Live.PresenceService>();
        services.AddHostedService(sp => sp.GetRequiredService<Live.PresenceService>());
        services.AddSingleton<Assignment.AssignmentService>();
        services.AddSingleton<Team.TeamService>();
        services.AddSingleton<Team.AuditLog>();
        services.AddChannelSenders();
        services.AddSingleton<Channels.Outbound.OutboundSignal>();
        // What happened, announced once committed (Events/): to live screens and to the senders waiting for work.
        services.AddSingleton<Events.DomainEventDispatcher>();
        services.AddSingleton<Events.DomainEventInterceptor>();
        services.AddSingleton<Events.IDomainEventHandler, Live.LiveScreens>();
        services.AddSingleton<Events.IDomainEventHandler>(sp => sp.GetRequiredService<Channels.Outbound.OutboundSignal>());
        services.AddOutboundWebhooks();
        services.AddAppointmentReminders();
        services.AddSingleton<Channels.Outbound.OutboundMessages>();
        // Payments: the tenant's own Stripe account (Checkout, webhook) and manual payments share one code path.
        services.AddSingleton<Payments.StripeGateway>();
        services.AddSingleton<Payments.PaymentCommands>();
        services.AddSingleton<Payments.PaymentSetup>();
        services.AddSingleton<Payments.StripeWebhook>();
        services.AddSingleton<Channels.Outbound.OutboundDispatcher>();
        services.AddHostedService<Channels.Outbound.OutboundWorker>();
        services.AddHttpClient("simulator");
        services.AddSingleton<Media.IMediaStore>(sp => new Media.LocalMediaStore(Path.Combine(
            sp.GetRequiredService<Microsoft.Extensions.Hosting.IHostEnvironment>().ContentRootPath,
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Media.MediaOptions>>().Value.Root)));
        services.AddSingleton<Security.GuardedNetwork>();
        // Customers' media: public addresses only, except the configured Graph origin (tests point it at a local fake).
        services.AddHttpClient(Media.MediaFetcher.HttpClientName, c => c.Timeout = TimeSpan.FromMinutes(2))
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var meta = sp.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Options.MetaOptions>>();
                return Security.GuardedNetwork.CreateHandler(sp, (host, port) =>
                    Uri.TryCreate(meta.CurrentValue.GraphBaseUrl, UriKind.Absolute, out var graph)
                    && string.Equals(graph.IdnHost, host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase) && graph.Port == port);
            });
        services.AddSingleton<Media.MediaFetcher>();
        services.AddSingleton<Media.MediaUnderstanding>();
        services.AddHostedService<Media.MediaWorker>();
        services.AddSingleton<Channels.Simulator.CustomerSimulator>();
        services.AddAgentRunner();
        services.AddSingleton<Inbox.InboxQueries>();
        services.AddSingleton<Inbox.ConversationCommands>();
        services.AddSingleton<Inbox.LabelCommands>();
        services.AddSingleton<Pipeline.LeadPipeline>();
        services.AddSingleton<Appointments.AppointmentCommands>();
        services.AddSingleton<Appointments.AppointmentInvites>();
        services.AddSingleton<Pipeline.LeadQueries>();
        services.AddSingleton<Reporting.DashboardQueries>();
        services.AddSingleton<Inbox.OutboundMediaLinks>();
        services.AddSingleton<Identity.UserPreferences>();
        services.AddScoped<TenantProvisioning>();
        // Command center: tenants (create, suspend, plan), the read-only support view, token spend and its alerts.
        services.AddSection<Platform.CommandCenterOptions>("Platform");
        services.AddScoped<Platform.PlatformTenants>();
        services.AddSingleton<Platform.SupportView>();
        services.AddSingleton<Platform.TokenSpend>();
        services.AddSingleton<Platform.SpendAlerts>();
        services.AddScoped<SelfSignup>();
        services.AddSingleton<Onboarding>();
        services.AddSection<SignupOptions>("Signup");
        services.AddSection<BillingOptions>("Billing");
        services.AddSingleton<Billing.BillingReads>();
        services.AddSingleton<Billing.UsageNotices>();
        services.AddSingleton<Billing.CreditLedger>();
        services.AddSingleton<Billing.PlatformBilling>();
        services.AddSingleton<Billing.SubscriptionSync>();
        services.AddSingleton<Billing.BillingMail>();
        services.AddSingleton<Billing.PlatformStripeWebhook>();
        services.AddSingleton<Billing.TrialNotices>();
        services.AddScoped<DemoSeeder>();
        services.AddSingleton<DatabaseInitializer>();
        return services;
    }
}
