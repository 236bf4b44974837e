using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Channels;

public class InboundMediaTests(LiveOutboundApp live) : IClassFixture<LiveOutboundApp>
{
    private static string WhatsAppImage(string phoneNumberId, string waId, string wamid, string mediaId) => JsonSerializer.Serialize(new
    {
        @object = "whatsapp_business_account",
        entry = new[] { new { id = "WABA", changes = new[] { new { field = "messages", value = new {
            messaging_product = "whatsapp",
            metadata = new { display_phone_number = "15550000000", phone_number_id = phoneNumberId },
            contacts = new[] { new { profile = new { name = "Foto" }, wa_id = waId } },
            messages = new[] { new { from = waId, id = wamid, timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(), type = "image",
                image = new { id = mediaId, mime_type = "image/jpeg", sha256 = "abc", caption = "mi radiografía" } } },
        } } } } },
    });

    [Fact]
    public async Task An_image_is_fetched_through_the_Graph_media_flow_and_served_only_to_its_tenants_members()
    {
        var app = live.App;
        var owner = await app.TenantAsync(password: "Owner!Pass1");
        var channel = await app.ChannelAsync(owner.Id);
        var mediaId = Random.Shared.NextInt64(1_000_000_000, 9_999_999_999).ToString();
        var bytes = new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5 };
        live.Graph.AddMedia(mediaId, "image/jpeg", bytes);
        var wamid = "wamid." + Guid.NewGuid().ToString("N");

        var response = await new WebhookClient(app.CreateClient()).PostMetaAsync("whatsapp", WhatsAppImage(channel.ExternalId, "5215512347777", wamid, mediaId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = await Eventually.GetAsync(async () =>
        {
            await using var work = app.Scopes.ForTenant(owner.Id);
            return await work.Db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.ExternalId == wamid);
        }, m => m?.MediaState == MediaState.Stored, "the image to be stored");
        Assert.Equal(("mi radiografía", MessageType.Image, "image/jpeg"), (message!.Body, message.Type, message.MediaContentType));
        Assert.Contains(live.Graph.Requests, r => r.Method == "GET" && r.Path == $"/v23.0/{mediaId}" && r.Authorization!.StartsWith("Bearer token-"));

        var member = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await new FormClient(member).LoginAsync($"{owner.Slug}@owner.test", "Owner!Pass1");
        var served = await member.GetAsync($"/media/{message.Id}");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("image/jpeg", served.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await served.Content.ReadAsByteArrayAsync());

        var other = await app.TenantAsync(password: "Other!Pass1");
        var stranger = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await new FormClient(stranger).LoginAsync($"{other.Slug}@owner.test", "Other!Pass1");
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/media/{message.Id}")).StatusCode);
        var anonymous = await app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).GetAsync($"/media/{message.Id}");
        Assert.NotEqual(HttpStatusCode.OK, anonymous.StatusCode);
    }
}
