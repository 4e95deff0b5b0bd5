// The fake-server tests each run a Kestrel app and a client with several loops; run side by side on a 2-core CI
// machine (beside the other test projects) they starved each other into 20 s hang guards now and then.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
