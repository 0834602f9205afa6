/* gfx-game.h: the graphical demo's state, kept in plain global variables
 * as a closed-source game would, and the interface between its simulation
 * (sim.c), its drawing (draw.c) and its main loop (demo-gfx.c). */
#ifndef DEMO_GFX_H
#define DEMO_GFX_H

#include <stdint.h>

#define GFX_W 640             /* the window, in pixels */
#define GFX_H 480
#define HUD_H 40              /* the status bar at the top */
#define MAX_ENTITIES 48
#define PLAYER_SIZE 20
#define PLAYER_SPEED 3.0f     /* pixels a tick */
#define DASH_TICKS 8
#define SPAWN_TICKS 45        /* ticks between spawns */
#define START_LIVES 3
#define START_RADIUS 24       /* the shot's reach around the cursor */

/* entity.kind */
enum entity_kind { ENT_COIN = 1, ENT_ENEMY = 2, ENT_SPARK = 3 };

/* world.state */
enum world_state { STATE_PLAYING = 0, STATE_PAUSED = 1, STATE_OVER = 2 };

/* What the main loop asks of the simulation, besides held keys. */
enum action {
	ACT_NONE, ACT_DASH, ACT_PAUSE, ACT_RESTART, ACT_QUIT
};

struct player {
	float x, y;          /* top-left corner, pixels */
	float vx, vy;        /* this tick's motion */
	int32_t lives;
	int32_t dash;        /* ticks of dash left */
	int32_t invuln;      /* ticks of grace after a hit */
	int32_t facing;      /* 0 right, 1 down, 2 left, 3 up */
};

struct cursor {
	int32_t x, y;        /* where the mouse is, window pixels */
	uint32_t buttons;    /* bit 0 left, bit 1 middle, bit 2 right */
	int32_t clicks;      /* left clicks seen */
	int32_t shots_hit;   /* clicks that hit an enemy */
	int32_t radius;      /* the shot's reach; the wheel changes it */
	int32_t moves;       /* motion events seen */
	int32_t right_clicks;
};

struct entity {
	int32_t kind;        /* enum entity_kind */
	int32_t alive;
	float x, y;          /* centre, pixels */
	float vx, vy;
	int32_t size;        /* side, pixels */
	int32_t ttl;         /* sparks: ticks left; others: -1 */
};

struct world {
	uint32_t tick;
	int32_t state;       /* enum world_state */
	int32_t score;
	int32_t level;       /* rises every 100 points: enemies speed up */
	int32_t spawn_timer;
	int32_t coins;       /* coins picked up */
	int32_t kills;       /* enemies shot */
	int32_t hits;        /* times an enemy touched the player */
	uint32_t held;       /* movement keys held: bit 0 left, 1 right, 2 up, 3 down */
	int32_t last_key;    /* the SDL keycode of the last key pressed */
	uint64_t seed;       /* from getrandom(), or --seed */
	uint32_t rng_draws;
};

extern struct player player;
extern struct cursor cursor;
extern struct world world;
extern struct entity entities[MAX_ENTITIES];
extern int32_t entity_count;

/* sim.c */
void sim_init(uint64_t seed);
void sim_restart(void);
void sim_action(enum action a);
void sim_click(int x, int y, int button);
void sim_wheel(int dy);
void sim_tick(void);

/* draw.c: one fill-rectangle primitive per render mode. */
enum render_mode { MODE_RENDERER, MODE_SURFACE, MODE_GL };
struct draw_ctx;
void draw_frame(struct draw_ctx *d);
void draw_rect(struct draw_ctx *d, int x, int y, int w, int h,
    uint32_t rgb);

#endif
