/** Test secrets shared by the worker app and the test that signs for it (a Worker may export only handlers). */
export const STRIPE_SECRET = 'whsec_reach_runtimes_0123456789abcdef'
export const GITHUB_SECRET = 'reach-runtimes-github-secret'
