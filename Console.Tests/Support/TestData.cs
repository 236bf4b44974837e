using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Tests.Support;

/// <summary>Builders for data a test owns: unique slugs and e-mails so tests never share rows.</summary>
public static class TestData
{
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A tenant on <paramref name="plan"/>: Pro by default (every feature, room for a test's channels and members); tests about plan limits name theirs.</summary>
    public static async Task<ProvisionedTenant> TenantAsync(this ConsoleAppFactory app, string? name = null, string password = "Str0ng!Pass",
        Plan plan = Plan.Pro)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var provisioning = scope.ServiceProvider.GetRequiredService<TenantProvisioning>();
        var slug = Unique("t");
        return await provisioning.CreateAsync(new NewTenant(name ?? slug, slug, plan, $"{slug}@owner.test", password), "test");
    }

    /// <summary>A client of the REST API with a new API key of the tenant (made through the platform key, as an operator would).</summary>
    public static async Task<HttpClient> TenantApiAsync(this ConsoleAppFactory app, Guid tenantId, string keyName = "test")
    {
        using var platform = app.CreateClient();
        platform.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ConsoleAppFactory.PlatformKey);
        using var response = await platform.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/api-keys", new { name = keyName });
        response.EnsureSuccessStatusCode();
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("key").GetString());
        return client;
    }
}

public static class ConversationData
{
    /// <summary>A WhatsApp channel, a contact and an open conversation with one inbound message, owned by the tenant.</summary>
    public static async Task<OperatorConsole.Domain.Conversations.Conversation> ConversationAsync(this ConsoleAppFactory app, Guid tenantId,
        string contactName, string text = "Hola", OperatorConsole.Domain.Channels.Channel? channel = null, string? customerId = null,
        DateTimeOffset? lastInboundAt = null)
    {
        channel ??= await app.Services.GetRequiredService<OperatorConsole.Infrastructure.Channels.ChannelConnections>().ConnectWithoutProofAsync(tenantId,
            new OperatorConsole.Infrastructure.Channels.ConnectChannel(OperatorConsole.Domain.Channels.ChannelKind.WhatsApp,
                Random.Shared.NextInt64(100000000000000, 999999999999999).ToString(), null, null, "token", null, null), "test");
        var now = DateTimeOffset.UtcNow;
        var inboundAt = lastInboundAt ?? now;
        await using var work = app.Scopes.ForTenant(tenantId);
        var contact = OperatorConsole.Domain.Contacts.Contact.Create(tenantId, contactName, null, now);
        if (customerId is not null)
        {
            var kind = channel.Kind switch
            {
                OperatorConsole.Domain.Channels.ChannelKind.WhatsApp => OperatorConsole.Domain.Contacts.IdentityKind.WaId,
                OperatorConsole.Domain.Channels.ChannelKind.Messenger => OperatorConsole.Domain.Contacts.IdentityKind.Psid,
                OperatorConsole.Domain.Channels.ChannelKind.Instagram => OperatorConsole.Domain.Contacts.IdentityKind.Igsid,
                _ => OperatorConsole.Domain.Contacts.IdentityKind.OpenId,
            };
            contact.AddIdentity(channel.Id, kind, customerId);
        }
        var conversation = OperatorConsole.Domain.Conversations.Conversation.Start(tenantId, channel.Id, contact.Id, now);
        conversation.RecordInbound(inboundAt, channel.Kind, fromAdReferral: false, text);
        work.Db.Contacts.Add(contact);
        work.Db.Conversations.Add(conversation);
        work.Db.Messages.Add(OperatorConsole.Domain.Conversations.Message.Inbound(conversation, "wamid." + Guid.NewGuid().ToString("N"),
            OperatorConsole.Domain.Conversations.MessageType.Text, text, null, inboundAt, now));
        await work.Db.SaveChangesAsync();
        return conversation;
    }
}

public static class ChannelData
{
    public static string NewExternalId() => Random.Shared.NextInt64(100000000000000, 999999999999999).ToString();

    public static Task<OperatorConsole.Domain.Channels.Channel> ChannelAsync(this ConsoleAppFactory app, Guid tenantId,
        OperatorConsole.Domain.Channels.ChannelKind kind = OperatorConsole.Domain.Channels.ChannelKind.WhatsApp, string? externalId = null,
        string? appSecret = null, string? verifyToken = null) =>
        app.Services.GetRequiredService<OperatorConsole.Infrastructure.Channels.ChannelConnections>().ConnectWithoutProofAsync(tenantId,
            new OperatorConsole.Infrastructure.Channels.ConnectChannel(kind, externalId ?? NewExternalId(), null, null, "token-" + Guid.NewGuid(),
                appSecret, verifyToken), "test");
}
