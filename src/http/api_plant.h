/*
 * api_plant.h - handlers of the plant model endpoints (api_plant.c),
 * declared apart from http_int.h so the route table can name them.
 */
#ifndef PL_HTTP_API_PLANT_H
#define PL_HTTP_API_PLANT_H

struct http_req;

int http__h_plant_tree(struct http_req *r);
int http__h_plant_site_create(struct http_req *r);
int http__h_plant_site_patch(struct http_req *r);
int http__h_plant_site_delete(struct http_req *r);
int http__h_plant_area_create(struct http_req *r);
int http__h_plant_area_patch(struct http_req *r);
int http__h_plant_area_delete(struct http_req *r);
int http__h_plant_line_patch(struct http_req *r);
int http__h_plant_machine_create(struct http_req *r);
int http__h_plant_machine_patch(struct http_req *r);
int http__h_plant_machine_delete(struct http_req *r);
int http__h_plant_product_create(struct http_req *r);
int http__h_plant_product_patch(struct http_req *r);
int http__h_plant_product_delete(struct http_req *r);
int http__h_plant_plan_get(struct http_req *r);
int http__h_plant_plan_put(struct http_req *r);

#endif /* PL_HTTP_API_PLANT_H */
