namespace Sluice.Server.Protocols.Supabase;

/// <summary>The Phoenix serializer a Supabase client chose with <c>?vsn=</c>.</summary>
internal enum PhoenixVersion
{
    /// <summary><c>1.0.0</c>: one JSON object per frame, <c>{"topic","event","payload","ref"}</c>.</summary>
    V1,

    /// <summary><c>2.0.0</c>: one JSON array per frame, <c>[join_ref, ref, topic, event, payload]</c>, plus binary user broadcasts.</summary>
    V2,
}
