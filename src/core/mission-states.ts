/** A mission's states, shared by the store (which keeps them) and mission/ (which decides them). */
export type MissionState = 'pending' | 'running' | 'paused' | 'done';
/** Where a running mission stands: between sessions, in a session, or waiting for a gate run. */
export type MissionPhase = 'idle' | 'session' | 'gate';
export type MilestoneStatus = 'pending' | 'active' | 'done';
