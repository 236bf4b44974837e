using System.Globalization;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using OperatorConsole.App.Components.Pages.Inbox;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Inbox;

namespace OperatorConsole.Tests.Components;

public class MessageBubbleTests
{
    private static async Task<string> RenderRefusedAsync(string culture, string reason)
    {
        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        try
        {
            await using var ctx = new BunitContext();
            ctx.JSInterop.Mode = JSRuntimeMode.Loose;
            ctx.Services.AddMudServices();
            ctx.Services.AddLocalization();
            var session = new InboxSession
            {
                Actor = new InboxActor(Guid.NewGuid(), Guid.NewGuid(), null, "Ana"), Members = [], Channels = [], TimeZone = TimeZoneInfo.Utc,
            };
            var message = new TimelineMessage(Guid.NewGuid(), MessageDirection.Inbound, MessageSender.Contact, null, MessageType.Image, null,
                """{"media":{"url":"http://169.254.169.254/"}}""", "m_1", null, DeliveryStatus.Received, reason, "detail for the log",
                DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, MediaState.Refused, null, null);
            var bubble = ctx.Render<MessageBubble>(p => p.Add(x => x.Message, message).AddCascadingValue(session));
            return bubble.Find(".bubble-media-refused").TextContent;
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    [Fact]
    public async Task A_refused_media_shows_its_reason_in_the_operators_language()
    {
        Assert.Contains("the link points to a private or internal address", await RenderRefusedAsync("en", "address"));
        Assert.Contains("el enlace apunta a una dirección privada o interna", await RenderRefusedAsync("es", "address"));
        Assert.Contains("el contenido del archivo no es de un tipo permitido", await RenderRefusedAsync("es", "type"));
    }
}
