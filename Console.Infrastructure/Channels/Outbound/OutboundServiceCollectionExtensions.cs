using Microsoft.Extensions.DependencyInjection;

namespace OperatorConsole.Infrastructure.Channels.Outbound;

public static class OutboundServiceCollectionExtensions
{
    /// <summary>
    /// The channel senders and their named HttpClients. Options (Meta, TikTok) and TimeProvider are registered by
    /// the infrastructure setup. The clients get a timeout and no resilience handler: a retried POST could
    /// send a message twice, so retries belong to the caller's durable outbox.
    /// </summary>
    public static IServiceCollection AddChannelSenders(this IServiceCollection services)
    {
        // Header values (bearer tokens, Access-Token) never reach the HttpClient logs. .NET already redacts them by
        // default; saying so here keeps a later logging change from quietly turning it off.
        services.AddHttpClient(ChannelHttp.GraphClient, c => c.Timeout = ChannelHttp.Timeout).RedactLoggedHeaders(_ => true);
        services.AddHttpClient(ChannelHttp.TikTokClient, c => c.Timeout = ChannelHttp.Timeout).RedactLoggedHeaders(_ => true);

        services.AddSingleton<WhatsAppSender>();
        services.AddSingleton<IChannelSender>(sp => sp.GetRequiredService<WhatsAppSender>());
        services.AddSingleton<IChannelSender, MetaMessagingSender>();
        services.AddSingleton<IChannelSender, TikTokSender>();
        return services;
    }
}
