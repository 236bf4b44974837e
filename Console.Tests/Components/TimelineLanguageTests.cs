using System.Globalization;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using OperatorConsole.App.Components.Pages.Inbox;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Inbox;

namespace OperatorConsole.Tests.Components;

/// <summary>The timeline speaks the operator's language and tells time in the business's zone, the operator's way.</summary>
public class TimelineLanguageTests
{
    // 00:06 UTC is 18:06 the day before in Mexico City.
    private static readonly DateTimeOffset At = new(2026, 12, 2, 0, 6, 0, TimeSpan.Zero);

    private static async Task<string> RenderAsync(string culture, Func<BunitContext, InboxSession, string> render)
    {
        var (previous, previousUi) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(culture);
        try
        {
            await using var ctx = new BunitContext();
            ctx.JSInterop.Mode = JSRuntimeMode.Loose;
            ctx.Services.AddMudServices();
            ctx.Services.AddLocalization();
            var session = new InboxSession
            {
                Actor = new InboxActor(Guid.NewGuid(), Guid.NewGuid(), null, "Ana"), Members = [], Channels = [],
                TimeZone = TimeZoneInfo.FindSystemTimeZoneById("America/Mexico_City"),
            };
            return render(ctx, session);
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (previous, previousUi);
        }
    }

    private static Task<string> BubbleAsync(string culture) => RenderAsync(culture, (ctx, session) =>
        ctx.Render<MessageBubble>(p => p.Add(x => x.Message, new TimelineMessage(Guid.NewGuid(), MessageDirection.Inbound, MessageSender.Contact,
            null, MessageType.Text, "Hola", null, "m_1", null, DeliveryStatus.Received, null, null, At, At, null, null, null))
            .AddCascadingValue(session)).Find(".bubble-meta").TextContent);

    private static Task<string> LeadEventAsync(string culture, string text) => RenderAsync(culture, (ctx, session) =>
        ctx.Render<EventLine>(p => p.Add(x => x.Event, new TimelineEvent(Guid.NewGuid(), ConversationEventType.LeadChanged, null, text, null, At))
            .AddCascadingValue(session)).Find(".chat-event").TextContent);

    [Fact]
    public async Task A_message_shows_the_business_zones_time_in_24_hours_in_Spanish_and_12_hours_in_English()
    {
        Assert.Contains("18:06", await BubbleAsync("es"));
        Assert.Contains("18:06", await BubbleAsync("es-MX"));
        var en = await BubbleAsync("en");
        Assert.Contains("6:06", en);
        Assert.Contains("PM", en);
        Assert.DoesNotContain("18:06", en);
    }

    [Fact]
    public async Task A_lead_change_the_agent_recorded_in_English_reads_in_Spanish()
    {
        var es = await LeadEventAsync("es", "Lead updated by the agent: stage New → Qualified, e-mail ana@correo.mx, tratamiento ortodoncia");
        Assert.Contains("Prospecto actualizado: etapa Nuevo → Calificado, correo ana@correo.mx, tratamiento ortodoncia", es);
        Assert.DoesNotContain("Lead updated", es);
        var en = await LeadEventAsync("en", "stage Contacted → Won; company Acme");
        Assert.Contains("Lead updated: stage Contacted → Won, company Acme", en);
    }
}
