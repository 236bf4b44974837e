using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Webhooks;

public static class OutboundWebhookSetup
{
    public static IServiceCollection AddOutboundWebhooks(this IServiceCollection services)
    {
        services.AddSection<OutboundWebhookOptions>("OutboundWebhooks");
        services.AddSingleton<OutboundWebhookSubscriptions>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboundWebhookSubscriptions>());
        services.AddSingleton<Events.IEventRecorder, OutboundWebhookRecorder>();
        services.AddSingleton<OutboundWebhookSignal>();
        services.AddSingleton<Events.IDomainEventHandler>(sp => sp.GetRequiredService<OutboundWebhookSignal>());
        services.AddSingleton<OutboundWebhookService>();
        // Tenants' receivers are addresses we do not control: the same guarded handler as custom tools (public addresses,
        // plus Network:PrivateAllowlist). The 10 s limit is the worker's own; this one only backs it up.
        services.AddHttpClient(OutboundWebhookWorker.HttpClientName, (sp, c) =>
                c.Timeout = TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<OutboundWebhookOptions>>().Value.TimeoutSeconds + 5))
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var handler = Security.GuardedNetwork.CreateHandler(sp);
                // One receiver host gets a bounded number of connections, whatever the number of subscriptions on it.
                handler.MaxConnectionsPerServer = 32;
                return handler;
            });
        services.AddHostedService<OutboundWebhookWorker>();
        return services;
    }
}
